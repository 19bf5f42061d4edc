# Samspill's UI strings in English (Fluent, https://projectfluent.org).
#
# Message ids are "area-thing". nb, en and da hold the same messages with the same
# variables (a test checks it). Counts use plural selectors: { $n ->
#     [one] ...
#    *[other] ...
# }

## change
change-run-paused = Paused the gathering
change-run-resumed = Resumed the gathering
change-run-adjusted = Gave the current agenda item { $v1 } minutes
change-added-note = Added a note to { $v1 }
change-added-work = Added between-work “{ $v1 }”
change-added-check = Added checklist item “{ $v1 }”
change-added-gathering = Added gathering “{ $v1 }”
change-added-task = Added task “{ $v1 }”
change-added-agenda = Added “{ $v1 }” to an agenda
change-assigned = Assigned a task
change-language = Changed the project language
change-checkpoint = Checkpoint “{ $v1 }”
change-edited-check = Edited a checklist item
change-edited-agenda = Edited an agenda item
change-edited-work = Edited between-work
change-edited-notes = Edited the notes of { $v1 }
change-evaluated = Evaluated a gathering
change-run-finished = Finished running a gathering
change-migrated = Migrated from schema { $v1 } to { $v2 }
change-next-item = Moved to the next agenda item
change-relay = Shared through a relay
change-device = Published a device
change-removed-check = Removed a checklist item
change-removed-task = Removed a task
change-removed-agenda = Removed an agenda item
change-removed-member = Removed from the project
change-renamed-task = Renamed task “{ $v1 }”
change-reordered-agenda = Reordered an agenda
change-reordered-gatherings = Reordered gatherings
change-reordered-tasks = Reordered tasks
change-reordered-checklist = Reordered the checklist
change-restored = Restored the project as it was after { $v1 }
change-due = Set a task's due date
change-phase-status = Set phase { $v1 } to { $v2 }
change-dates = Set the project dates
change-when = Set when a gathering happens
change-run-started = Started running a gathering
change-run-stopped = Stopped running a gathering
change-updated-person = Updated { $v1 }
change-logged-gathering = Wrote in a gathering's log
change-logged-project = Wrote in the project log
change-completed-task = Completed task “{ $v1 }”
change-reopened-task = Reopened task “{ $v1 }”
change-ticked = Ticked “{ $v1 }”
change-unticked = Unticked “{ $v1 }”
change-imported = Imported “{ $v1 }”
change-created = Created “{ $v1 }” from template { $v2 }
change-archived = Archived the project
change-unarchived = Restored the project from the archive
change-edited-gathering-log = Edited a gathering's log
change-edited-goal = Edited the goal
change-edited-service = Edited the service
change-removed-gathering = Removed a gathering
change-removed-log = Removed a log entry
change-removed-person = Removed a person
change-removed-work = Removed between-work
change-renamed-gathering = Renamed a gathering
change-renamed-project = Renamed the project
change-place = Set a gathering's place

## role
role-prosessleder = Facilitator
role-leder = Manager
role-ansatt = Staff member
role-tillitsvalgt = Union representative
role-annen = Other

## people
people-add = Add person
people-name = Name of the new person
people-name-hint = Name, e.g. unit manager
people-role = Role

## mytasks
mytasks-title = My tasks
mytasks-help = The tasks given to you, in every project. Those past their due date are in red.
mytasks-empty = You have no open tasks. Tasks given to you show up here.
mytasks-open = Open the phase

## run
run-pause = Pause
run-resume = Resume
run-paused = Paused
run-less = −5 min
run-more = +5 min
run-projector = Projector
run-projector-hint = Show the clock, the item on now and what comes next on the whole screen (Esc goes back)
run-projector-close = Close the projector view
run-time-up = The time for this item is up.
run-run = Run
run-run-hint = Run the gathering live: the current agenda item, time left and notes
run-follow = Follow
run-follow-hint = The gathering is running now: follow along on the same screen
run-empty = Add agenda items first
run-title = Gathering in progress
run-banner = Gathering in progress
run-close = Close run view
run-following = You are following the gathering
run-following-help = You are following along. Whoever leads moves on through the agenda.
run-take-over = Take over
run-item = Agenda item
run-planned-at = planned at
run-left = left
run-over = over time
run-planned = Planned
run-elapsed = used
run-next-item = Next up
run-last-item = This is the last agenda item.
run-next = Next
run-finish = Finish the gathering
run-next-keys = Space or right arrow
run-stop = Stop
run-note = Note for the log
run-note-hint = What is happening now? The note goes into the gathering's log.
run-note-add = Write in the log
run-log = The gathering's log
run-view = Run view
run-finished = The gathering is finished.
run-not-running = The gathering is not running now.
run-start-again = Start from the beginning
run-back = Back to the gathering
run-actual = Planned and actual time
run-col-item = Agenda item
run-actual-col = Actual
run-difference = Difference
run-on-now = On now

## files
files-unavailable = No file dialog on this desktop. Type the path in the field instead.
files-save-title = Save as

## import
import-choose = Choose a file …
import-do = Import
import-done = The project was imported.
import-help = Choose a .automerge or .json export from Samspill. The project becomes a new copy on this machine.
import-path = File path
import-title = Import

## print
print-save-pdf = Save as PDF …
print-save-html = Save as HTML …
print-plan = Print the project plan
print-agenda = Print the agenda
print-path = File
print-path-hint = /home/…/agenda
print-pdf = PDF
print-html = HTML
print-help = The file is written where you say; the extension follows the format.
print-written = Written to

## date
date-pick = Pick a date
date-previous = Previous month
date-next = Next month
date-today = Today
date-clear = No date

## project
project-overdue = overdue
project-add-check = Add
project-assignee = Assigned to
project-add-task = Add task
project-check-text = Checklist item
project-checklist = Checklist
project-checklist-help = Tick an item when it is in place. Who ticked it, and when, is shown.
project-dates = Dates
project-done-by = Done by
project-done-of = done
project-due = Due
project-end = End date
project-goal = Realistic dream
project-goal-hint = Where does the service want to go? Put the goal into words together.
project-guide = Guide
project-loading = Opening the project …
project-new-check = New checklist item
project-new-check-hint = New checklist item
project-new-task = New task
project-new-task-hint = New task (Ctrl+N)
project-nobody = Nobody
project-notes = Notes
project-notes-hint = Shared notes for the phase
project-overview = Overview
project-people = People in the project
project-people-empty = Nobody yet. Enter your name under Settings.
project-phases = Phases
project-read-less = Show less
project-read-more = Read more
project-service = Service
project-start = Start date
project-status = Status:
project-task-title = Task
project-tasks = Tasks
project-tasks-empty = No tasks in this phase. Add one below.
project-title-label = Project name
project-upcoming = Next deadlines
project-removed-body = The project has new keys, and this machine did not get them: you were removed, or the machine was not registered in the project. You keep what you had, but cannot change it, and new changes no longer arrive here. To stay in, ask a facilitator for a new link.
project-viewer-title = You have read access
project-viewer-body = You can read the project and follow it live, but not change it. Ask one of the facilitators for a link with write access if you are to write in it.
project-viewer-refused = You have read access to this project, so the change was not made.

## nav
nav-hide = Hide the side menu
nav-show = Show the side menu

## keys
keys-sidebar = Hide or show the side menu
keys-close = Close the dialog
keys-help = Show the shortcuts
keys-library = Method library
keys-move = Move the selected agenda item
keys-new = New task (new project in the list)
keys-redo = Redo
keys-sections = Previous / next part of the project
keys-settings = Settings
keys-title = Keyboard shortcuts
keys-undo = Undo your last change

## language
language-nb = Norwegian
language-en = English
language-da = Danish

## conflict
conflict-title = Changed at the same time
conflict-use = Use
conflict-keep = Keep
conflict-empty = none

## app
app-title = Samspill

## projects
projects-title = Projects
projects-empty = You have no projects yet. Create one to get started.
projects-new = New project
projects-archive = Archive
projects-archive-confirm = Archive the project? It leaves the list but can be restored:
projects-archived-notice = The project was archived.
projects-create = Create project
projects-created = The project was created.
projects-more = More
projects-no-service = No service given
projects-open = Open
projects-rename = Rename
projects-restore = Restore
projects-restore-confirm = Restore the project from the archive?
projects-restored-notice = The project was restored.
projects-service-hint = E.g. Home care services, Lindvik municipality
projects-show-archived = Show archived projects ({ $n })
projects-subtitle = The development processes you take part in, stored on this machine.
projects-template = Template
projects-template-gatherings = gatherings with agendas are included.
projects-template-phases = Phases
projects-title-hint = E.g. Better transitions in home care

## common
common-cancel = Cancel
common-save = Save
common-delete = Delete
common-ok = OK
common-date-hint = DD.MM.YYYY
common-or = or
common-time-hint = HH:MM

## settings
settings-title = Settings
settings-language = Language
settings-appearance = Appearance
settings-centre = Centre
settings-colour = Colour
settings-dark = Dark
settings-help = Your name, centre and colour are shown to the other facilitators in your projects.
settings-light = Light
settings-name = Name
settings-relay = Relay
settings-relay-help = Offered when you share a project, e.g. your centre's own relay.
settings-saved = Settings saved.
settings-sync = Sharing
settings-theme = Theme
settings-you = You

## phase-kind
phase-kind-oppstart = Start-up
phase-kind-planlegging = Planning
phase-kind-gjennomforing = Implementation
phase-kind-evaluering = Evaluation

## tag
tag-analysis = Analysis
tag-decision = Decision-making
tag-dialogue = Dialogue
tag-energy = Energy and movement
tag-evaluation = Evaluation
tag-ideas = Generating ideas
tag-involvement = Involvement
tag-large-group = Large groups
tag-learning = Learning
tag-peer-support = Peer support
tag-planning = Planning
tag-reflection = Reflection
tag-relations = Building relationships
tag-strengths = Strengths-based
tag-vision = Vision and goals

## export
export-goal = Goal
export-service = Service
export-dates = Dates
export-people = People
export-phase = Phase
export-status = Status
export-tasks = Tasks
export-checklist = Checklist
export-notes = Notes
export-gatherings = Gatherings
export-agenda = Agenda
export-time = Time
export-minutes = Minutes
export-method = Method
export-responsible = Responsible
export-place = Place
export-log = Log
export-evaluation = Evaluation
export-worked = What worked
export-change = What to change
export-between-work = Between-work
export-project-log = Project log
export-done = Done
export-not-done = Not done
export-assignee = Assigned to
export-due = Due
export-status-not_started = Not started
export-status-active = In progress
export-status-done = Completed
export-total = Total
export-generated = Generated
export-no-items = Nothing here yet

## action
action-redo = Redo
action-undo = Undo

## agenda
agenda-add = Add item
agenda-add-method = Add a method …
agenda-browse = Method library
agenda-down = Move down
agenda-drag = Drag to move
agenda-empty = The agenda is empty. Add an item, or a method from the library, below.
agenda-ends = ends
agenda-hours-short = h
agenda-item-title = Agenda item
agenda-minutes = Minutes
agenda-new = New agenda item
agenda-new-hint = New item, e.g. “Break”
agenda-no-start = Set a start time to see the clock times.
agenda-notes = Agenda item notes
agenda-notes-hint = Notes, materials …
agenda-title = Agenda
agenda-total = Total
agenda-up = Move up
agenda-responsible = Responsible

## confirm
confirm-title = Are you sure?

## gatherings
gatherings-add = New gathering
gatherings-between-work = Between-work after this gathering
gatherings-change = What to change
gatherings-date = Date
gatherings-delete = Delete gathering
gatherings-delete-confirm = Delete the gathering with its agenda, log and evaluation? This cannot be undone:
gatherings-empty = No gatherings yet. Name the first one above and press “New gathering”.
gatherings-evaluation = Evaluation
gatherings-help = The gatherings with their agenda, log and evaluation. Clock times are worked out as you type.
gatherings-log = Log of the gathering
gatherings-log-hint = What happened, what was decided, who follows up?
gatherings-name = Name of the gathering
gatherings-new = Name of a new gathering
gatherings-new-hint = Name of a new gathering
gatherings-place = Place
gatherings-place-hint = Where, e.g. the town hall
gatherings-start = Start
gatherings-title = Gatherings
gatherings-worked = What worked

## library
library-add = Add to the agenda
library-add-to = Gathering:
library-all-phases = All phases
library-all-tags = All topics
library-clear = Clear
library-count =
    { $n ->
        [one] { $n } method
       *[other] { $n } methods
    }
library-help = Methods for gatherings and meetings. Search, filter by phase and topic, and add a method straight to an agenda.
library-materials = Materials
library-none = No methods match. Try another search or clear the filters.
library-open-project = Open a project with a gathering to add the method to an agenda.
library-people = people
library-purpose = Purpose
library-search = Search methods
library-search-hint = Search, e.g. “reflection”
library-steps = Steps
library-title = Method library

## log
log-add = Add to the log
log-delete-confirm = Delete the log entry
log-empty = The log is empty. Note decisions and milestones as you go, to keep the history in one place.
log-help = Dated notes about the process: decisions, milestones, changes.
log-hint = What happened?
log-new = New log entry
log-title = Project log

## redo
redo-nothing = Nothing to redo.

## status
status-active = In progress
status-done = Done
status-not_started = Not started

## sync
sync-connecting = Connecting …
sync-copy = Copy the link
sync-error = Sync error
sync-invite = Invite link
sync-invite-help = Give the link to your co-facilitators. Whoever holds it can read and change the project.
sync-join = Join
sync-join-help = Paste the invite link a co-facilitator gave you.
sync-join-opened = You opened an invite link. Join only if you know who it is from.
sync-join-relay = The project is fetched from the relay
sync-join-bad-link = This is not a Samspill invite link. Those begin with samspill:// or samspill+ws://.
sync-link = Invite link
sync-local = Local
sync-local-hint = The project lives on this machine only. Share it to work together.
sync-offline = Offline
sync-pending = Waiting for the relay
sync-share = Share
sync-reconnect = Reconnect now
sync-reconnect-hint = Try to reach the relay at once instead of waiting
sync-share-help = The project is encrypted and put on a relay, so co-facilitators can join with a link.
sync-shared = Shared
sync-started = The project is shared. The top right shows whether everything is synced.
sync-synced = Synced
sync-idle = Shared, nothing waiting
sync-waiting =
    { $n ->
        [one] { $n } change waiting
       *[other] { $n } changes waiting
    }
sync-offline-since = Offline since { $time }
sync-stopped = Sync stopped: { $reason }
sync-removed = You no longer have access to this project
sync-token = Access token (if the relay requires one)
sync-unavailable = Sharing is not available in this version yet. The project is kept safely on this machine.

## welcome
welcome-title = Welcome to Samspill
welcome-body = Say who you are. Your name and centre are shown to the other facilitators in the projects you share, and your colour shows where you are in the plan while you work at the same time. You can change this later by clicking your name at the bottom left.
welcome-save = Save and start
welcome-skip = Skip
welcome-edit = Who you are

## undo
undo-nothing = Nothing to undo.

## work
work-add = Add between-work
work-after = After
work-delete-confirm = Delete the between-work
work-description = Between-work description
work-description-hint = What is to be done, and how?
work-empty = No between-work yet. Between-work is what the service tries out between gatherings.
work-help = What the service does between gatherings, with who is responsible and by when.
work-item-title = Between-work
work-new = New between-work
work-new-hint = New between-work
work-none-after = No between-work after this gathering.
work-title = Between-work
work-unattached = Not tied to a gathering

## history
history-title = History
history-help = Every change to the project, who made it and when, grouped into sessions of work. Click a change to see the project as it was then.
history-checkpoints = Checkpoints
history-checkpoints-help = Give the current state a name, such as “After the first gathering”, to find your way back to it easily.
history-checkpoint-name = Checkpoint name
history-checkpoint-hint = After the first gathering
history-add-checkpoint = Add checkpoint
history-view = View
history-view-checkpoint = See the project as it was at the checkpoint
history-view-hint = Click to see the project as it was after this change
history-empty = No changes yet.
history-older =
    { $n ->
        [one] … { $n } older session is not shown
       *[other] … { $n } older sessions are not shown
    }
history-no-message = (change without a description)
history-now = now
history-unknown = Unknown person
history-after = after the change
history-as-it-was = How the project looked
history-read-only = This is an earlier version and is read-only. Go back to keep working.
history-back = Back to the current version
history-restore = Restore this version
history-restore-confirm = Restore the project as it was
history-restore-help = Restoring makes a new change. Nothing in the history is deleted, so you can always go back again.
history-restore-do = Restore

## access
access-title = Sharing and access
access-intro = The links below give access to the project. Send them only to those who should have it, preferably not through channels that keep messages for long.
access-links = Invite links
access-not-shared = The project is only on this machine. Share it on a relay to get links you can send.
access-lan-only = The project is shared on the local network only. Share it on a relay to get links that work over the internet.
access-editor-link = Link for editors
access-editor-help = Can read and change everything in the project. For the facilitators.
access-viewer-link = Link for readers
access-viewer-help = Can read the project and follow it live, but not change anything. For the municipality's management, for instance.
access-copied = Copied
access-editor-only = You have read access, so you can only share the link for readers.
access-wait-relay = The link for readers appears once the relay has confirmed the project's write key. That happens the next time the project syncs.
access-refresh = Read the links again
access-members = Members
access-name = Name
access-centre = Centre
access-role = Role
access-devices = Devices
access-last = Last change
access-no-device = none
access-never = never
access-members-help = Everyone who has written in the project is here. Readers are not, since they cannot write.
access-remove = Remove from the project
access-remove-hover = Takes the access away: the project gets new keys that only the others get.
access-remove-title = Remove { $name } from the project?
access-remove-does = The project gets new keys. Every other member gets them automatically the next time their machine is online, and the relay locks the old ones. { $name } cannot read anything written after this, and cannot change the project.
access-remove-does-not = What { $name } has already read or saved cannot be taken back: the copy on { $name }'s machine stays, read-only. Readers who came in with a reader's link, and members with no registered device, need a new link.
access-remove-confirm = Remove { $name }
access-was-removed = removed
access-removed = { $name } was removed. The project has new keys.
access-need-link = These need a new link: { $names }.

## presence
presence-unknown = Unknown participant

## save
save-failed = Could not save (the changes are kept and saved on the next try)
sync-join-lan = The project is fetched from a machine on this network (no relay, no internet). Whoever sent the link needs “Sync on this network” turned on.
sync-lan = Sync on this network
sync-lan-hover = Shares the projects directly with the others on the same network, with no relay and no internet. Everything is encrypted as always.
sync-lan-live = { $count ->
    [one] on the network with one machine
   *[other] on the network with { $count } machines
}
access-lan-link = Link for this network
access-lan-help = Works with no relay and no internet: whoever you send it to finds the project on the network you share, while you have “Sync on this network” on. Gives full editor access.
access-lan-make = Make a link for this network
