# Samspill's UI strings in Danish (Fluent, https://projectfluent.org).
#
# Message ids are "area-thing". nb, en and da hold the same messages with the same
# variables (a test checks it). Counts use plural selectors: { $n ->
#     [one] ...
#    *[other] ...
# }

## change
change-run-paused = Satte samlingen på pause
change-run-resumed = Genoptog samlingen
change-run-adjusted = Gav det igangværende programpunkt { $v1 } minutter
change-added-note = Tilføjede en note til { $v1 }
change-added-work = Tilføjede mellemarbejde »{ $v1 }«
change-added-check = Tilføjede »{ $v1 }« til tjeklisten
change-added-gathering = Tilføjede samling »{ $v1 }«
change-added-task = Tilføjede opgave »{ $v1 }«
change-added-agenda = Tilføjede »{ $v1 }« til et program
change-assigned = Tildelte en opgave
change-language = Ændrede projektets sprog
change-checkpoint = Tjekpunkt »{ $v1 }«
change-edited-check = Ændrede et punkt på tjeklisten
change-edited-agenda = Ændrede et programpunkt
change-edited-work = Ændrede mellemarbejde
change-edited-notes = Skrev i noterne for { $v1 }
change-evaluated = Evaluerede en samling
change-run-finished = Afsluttede en samling
change-migrated = Opgraderede fra skema { $v1 } til { $v2 }
change-next-item = Gik videre til næste programpunkt
change-relay = Delte projektet på et relæ
change-device = Registrerede en enhed
change-removed-check = Fjernede et punkt fra tjeklisten
change-removed-task = Fjernede en opgave
change-removed-agenda = Fjernede et programpunkt
change-removed-member = Fjernet fra projektet
change-renamed-task = Omdøbte opgaven til »{ $v1 }«
change-reordered-agenda = Ændrede rækkefølgen i et program
change-reordered-gatherings = Ændrede rækkefølgen af samlingerne
change-reordered-tasks = Ændrede rækkefølgen af opgaverne
change-reordered-checklist = Ændrede rækkefølgen i tjeklisten
change-restored = Gendannede projektet, som det var efter { $v1 }
change-due = Satte frist for en opgave
change-phase-status = Satte fasen { $v1 } til { $v2 }
change-dates = Satte projektets datoer
change-when = Satte tidspunkt for en samling
change-run-started = Startede en samling
change-run-stopped = Stoppede en samling
change-updated-person = Opdaterede { $v1 }
change-logged-gathering = Skrev i loggen for en samling
change-logged-project = Skrev i projektloggen
change-completed-task = Afsluttede opgave »{ $v1 }«
change-reopened-task = Genåbnede opgave »{ $v1 }«
change-ticked = Satte kryds ved »{ $v1 }«
change-unticked = Fjernede krydset ved »{ $v1 }«
change-imported = Importerede »{ $v1 }«
change-created = Oprettede »{ $v1 }« ud fra skabelonen { $v2 }
change-archived = Arkiverede projektet
change-unarchived = Hentede projektet frem fra arkivet
change-edited-gathering-log = Skrev i loggen for en samling
change-edited-goal = Skrev målet
change-edited-service = Ændrede området
change-removed-gathering = Fjernede en samling
change-removed-log = Fjernede en logpost
change-removed-person = Fjernede en person
change-removed-work = Fjernede mellemarbejde
change-renamed-gathering = Omdøbte en samling
change-renamed-project = Omdøbte projektet
change-place = Satte sted for en samling

## role
role-prosessleder = Procesleder
role-leder = Leder
role-ansatt = Medarbejder
role-tillitsvalgt = Tillidsrepræsentant
role-annen = Anden

## people
people-add = Tilføj person
people-name = Navn på ny person
people-name-hint = Navn, fx afdelingsleder
people-role = Rolle

## mytasks
mytasks-title = Mine opgaver
mytasks-help = De opgaver, der er tildelt dig, i alle projekterne. Dem, hvor fristen er overskredet, står med rødt.
mytasks-empty = Du har ingen åbne opgaver. Opgaver, der bliver tildelt dig, vises her.
mytasks-open = Åbn fasen

## run
run-pause = Pause
run-resume = Fortsæt
run-paused = På pause
run-less = −5 min
run-more = +5 min
run-projector = Storskærm
run-projector-hint = Vis ur, programpunkt og det, der kommer bagefter, på hele skærmen (Esc går tilbage)
run-projector-close = Luk storskærm
run-time-up = Tiden for dette punkt er gået.
run-run = Afvikl
run-run-hint = Afvikl samlingen live: aktuelt programpunkt, resterende tid og noter
run-follow = Følg
run-follow-hint = Samlingen afvikles nu: følg med på samme skærm
run-empty = Tilføj programpunkter først
run-title = Samling i gang
run-banner = Samling i gang
run-close = Luk afviklingsvisningen
run-following = Du følger samlingen
run-following-help = Du følger med. Den, der leder, går videre i programmet.
run-take-over = Overtag styringen
run-item = Programpunkt
run-planned-at = planlagt
run-left = tilbage
run-over = over tid
run-planned = Planlagt
run-elapsed = brugt
run-next-item = Derefter
run-last-item = Dette er det sidste programpunkt.
run-next = Næste
run-finish = Afslut samlingen
run-next-keys = Mellemrum eller højre pil
run-stop = Afslut
run-note = Note til loggen
run-note-hint = Hvad sker der nu? Noten havner i samlingens log.
run-note-add = Skriv i loggen
run-log = Samlingens log
run-view = Afviklingsvisning
run-finished = Samlingen er slut.
run-not-running = Samlingen afvikles ikke lige nu.
run-start-again = Start forfra
run-back = Tilbage til samlingen
run-actual = Planlagt og faktisk tid
run-col-item = Programpunkt
run-actual-col = Faktisk
run-difference = Afvigelse
run-on-now = I gang nu

## files
files-unavailable = Fandt ingen fildialog på dette skrivebord. Skriv stien i feltet i stedet.
files-save-title = Gem som

## import
import-choose = Vælg fil …
import-do = Importér
import-done = Projektet er importeret.
import-help = Vælg en .automerge- eller .json-eksport fra Samspill. Projektet bliver en ny kopi på denne computer.
import-path = Filsti
import-title = Importér

## print
print-save-pdf = Gem som PDF …
print-save-html = Gem som HTML …
print-plan = Udskriv projektplanen
print-agenda = Udskriv programmet
print-path = Fil
print-path-hint = /home/…/program
print-pdf = PDF
print-html = HTML
print-help = Filen gemmes der, hvor du angiver; filendelsen sættes efter formatet.
print-written = Gemt i

## date
date-pick = Vælg dato
date-previous = Forrige måned
date-next = Næste måned
date-today = I dag
date-clear = Ingen dato

## project
project-overdue = overskredet
project-add-check = Tilføj
project-assignee = Tildelt
project-add-task = Tilføj opgave
project-check-text = Tjekpunkt
project-checklist = Tjekliste
project-checklist-help = Sæt kryds, når punktet er på plads. Vi viser, hvem der satte kryds, og hvornår.
project-dates = Periode
project-done-by = Udført af
project-done-of = udført
project-due = Frist
project-end = Slutdato
project-goal = Realistisk drøm
project-goal-hint = Hvor vil området hen? Formulér målet sammen med dem.
project-guide = Vejledning
project-loading = Åbner projektet …
project-new-check = Nyt tjekpunkt
project-new-check-hint = Nyt tjekpunkt
project-new-task = Ny opgave
project-new-task-hint = Ny opgave (Ctrl+N)
project-nobody = Ingen
project-notes = Noter
project-notes-hint = Fælles noter for fasen
project-overview = Overblik
project-people = Personer i projektet
project-people-empty = Ingen personer endnu. Skriv dit navn under Indstillinger.
project-phases = Faser
project-read-less = Vis mindre
project-read-more = Læs mere
project-service = Område
project-start = Startdato
project-status = Status:
project-task-title = Opgave
project-tasks = Opgaver
project-tasks-empty = Ingen opgaver i denne fase. Skriv en nedenfor.
project-title-label = Projektnavn
project-upcoming = Næste frister
project-removed-body = Projektet har fået nye nøgler, og denne computer fik dem ikke: Du er blevet fjernet, eller computeren var ikke registreret i projektet. Du beholder det, du havde, men kan ikke ændre det, og nye ændringer kommer ikke hertil. Skal du fortsat være med, så bed en procesleder om et nyt link.
project-viewer-title = Du har læseadgang
project-viewer-body = Du kan læse projektet og følge det live, men ikke ændre det. Bed en af proceslederne om et link med skriveadgang, hvis du skal skrive i det.
project-viewer-refused = Du har læseadgang til dette projekt, så ændringen blev ikke gennemført.

## nav
nav-hide = Skjul sidemenuen
nav-show = Vis sidemenuen

## keys
keys-sidebar = Skjul eller vis sidemenuen
keys-close = Luk dialogen
keys-help = Vis genvejstasterne
keys-library = Metodebiblioteket
keys-move = Flyt det valgte programpunkt
keys-new = Ny opgave (nyt projekt i listen)
keys-redo = Gentag
keys-sections = Forrige / næste del af projektet
keys-settings = Indstillinger
keys-title = Genvejstaster
keys-undo = Fortryd din seneste ændring

## language
language-nb = norsk bokmål
language-en = engelsk
language-da = dansk

## conflict
conflict-title = Ændret samtidig
conflict-use = Brug
conflict-keep = Behold
conflict-empty = ingen

## app
app-title = Samspill

## projects
projects-title = Projekter
projects-empty = Du har ingen projekter endnu. Opret et nyt for at komme i gang.
projects-new = Nyt projekt
projects-archive = Arkivér
projects-archive-confirm = Arkivere projektet? Det forsvinder fra listen, men kan hentes frem igen:
projects-archived-notice = Projektet er arkiveret.
projects-create = Opret projekt
projects-created = Projektet er oprettet.
projects-more = Flere valgmuligheder
projects-no-service = Intet område angivet
projects-open = Åbn
projects-rename = Omdøb
projects-restore = Hent frem
projects-restore-confirm = Hente projektet frem fra arkivet?
projects-restored-notice = Projektet er hentet frem igen.
projects-service-hint = Fx Hjemmeplejen i Lindvik Kommune
projects-show-archived = Vis arkiverede projekter ({ $n })
projects-subtitle = De udviklingsprocesser, du deltager i, gemt på denne computer.
projects-template = Skabelon
projects-template-gatherings = samlinger med program følger med.
projects-template-phases = Faser
projects-title-hint = Fx Bedre overgange i hjemmeplejen

## common
common-cancel = Annuller
common-save = Gem
common-delete = Slet
common-ok = OK
common-date-hint = DD.MM.ÅÅÅÅ
common-or = eller
common-time-hint = TT:MM

## settings
settings-title = Indstillinger
settings-language = Sprog
settings-appearance = Udseende
settings-centre = Center
settings-colour = Farve
settings-dark = Mørkt
settings-help = Dit navn, dit center og din farve vises for de andre procesledere i dine projekter.
settings-light = Lyst
settings-name = Navn
settings-relay = Relæ
settings-relay-help = Foreslås, når du deler et projekt, fx centrets egen relæserver.
settings-saved = Indstillingerne er gemt.
settings-sync = Deling
settings-theme = Tema
settings-you = Dig

## phase-kind
phase-kind-oppstart = Opstart
phase-kind-planlegging = Planlægning
phase-kind-gjennomforing = Gennemførelse
phase-kind-evaluering = Evaluering

## tag
tag-analysis = Analyse
tag-decision = Beslutning
tag-dialogue = Dialog
tag-energy = Energi og bevægelse
tag-evaluation = Evaluering
tag-ideas = Idéudvikling
tag-involvement = Inddragelse
tag-large-group = Store grupper
tag-learning = Læring
tag-peer-support = Kollegial sparring
tag-planning = Planlægning
tag-reflection = Refleksion
tag-relations = Relationsopbygning
tag-strengths = Styrkebaseret
tag-vision = Vision og mål

## export
export-goal = Mål
export-service = Område
export-dates = Periode
export-people = Deltagere
export-phase = Fase
export-status = Status
export-tasks = Opgaver
export-checklist = Tjekliste
export-notes = Noter
export-gatherings = Samlinger
export-agenda = Program
export-time = Tid
export-minutes = Minutter
export-method = Metode
export-responsible = Ansvarlig
export-place = Sted
export-log = Log
export-evaluation = Evaluering
export-worked = Det fungerede
export-change = Det bør ændres
export-between-work = Mellemarbejde
export-project-log = Projektlog
export-done = Udført
export-not-done = Ikke udført
export-assignee = Tildelt
export-due = Frist
export-status-not_started = Ikke startet
export-status-active = I gang
export-status-done = Afsluttet
export-total = I alt
export-generated = Genereret
export-no-items = Intet endnu

## action
action-redo = Gentag
action-undo = Fortryd

## agenda
agenda-add = Tilføj punkt
agenda-add-method = Tilføj metode …
agenda-browse = Metodebiblioteket
agenda-down = Flyt ned
agenda-drag = Træk for at flytte
agenda-empty = Programmet er tomt. Tilføj et punkt eller en metode fra biblioteket nedenfor.
agenda-ends = slutter
agenda-hours-short = t
agenda-item-title = Programpunkt
agenda-minutes = Minutter
agenda-new = Nyt programpunkt
agenda-new-hint = Nyt punkt, fx »Pause«
agenda-no-start = Angiv et starttidspunkt for at se klokkeslættene.
agenda-notes = Noter til programpunktet
agenda-notes-hint = Noter, materialer …
agenda-title = Program
agenda-total = I alt
agenda-up = Flyt op
agenda-responsible = Ansvarlig

## confirm
confirm-title = Er du sikker?

## gatherings
gatherings-add = Ny samling
gatherings-between-work = Mellemarbejde efter samlingen
gatherings-change = Det bør ændres
gatherings-date = Dato
gatherings-delete = Slet samling
gatherings-delete-confirm = Slette samlingen med program, log og evaluering? Det kan ikke fortrydes:
gatherings-empty = Ingen samlinger endnu. Giv den første samling et navn ovenfor, og tryk på »Ny samling«.
gatherings-evaluation = Evaluering
gatherings-help = Samlingerne med program, log og evaluering. Klokkeslættene regnes ud, mens du skriver.
gatherings-log = Log fra samlingen
gatherings-log-hint = Hvad skete der, hvad blev besluttet, og hvem følger op?
gatherings-name = Navn på samlingen
gatherings-new = Navn på ny samling
gatherings-new-hint = Navn på ny samling
gatherings-place = Sted
gatherings-place-hint = Hvor, fx byrådssalen
gatherings-start = Start
gatherings-title = Samlinger
gatherings-worked = Det fungerede

## library
library-add = Tilføj til programmet
library-add-to = Samling:
library-all-phases = Alle faser
library-all-tags = Alle temaer
library-clear = Nulstil
library-count =
    { $n ->
        [one] { $n } metode
       *[other] { $n } metoder
    }
library-help = Metoder til samlinger og møder. Søg, filtrér på fase og tema, og læg en metode direkte ind i et program.
library-materials = Materialer
library-none = Ingen metoder passer. Prøv en anden søgning, eller nulstil filtrene.
library-open-project = Åbn et projekt med en samling for at lægge metoden ind i et program.
library-people = personer
library-purpose = Formål
library-search = Søg i metoder
library-search-hint = Søg, fx »refleksion«
library-steps = Sådan gør du
library-title = Metodebibliotek

## log
log-add = Skriv i loggen
log-delete-confirm = Slette logposten
log-empty = Loggen er tom. Skriv beslutninger og milepæle ned undervejs, så har I historikken samlet ét sted.
log-help = Daterede noter om processen: beslutninger, milepæle, ændringer.
log-hint = Hvad er der sket?
log-new = Ny logpost
log-title = Projektlog

## redo
redo-nothing = Intet at gentage.

## status
status-active = I gang
status-done = Afsluttet
status-not_started = Ikke startet

## sync
sync-connecting = Forbinder …
sync-copy = Kopiér linket
sync-error = Fejl i synkroniseringen
sync-invite = Invitationslink
sync-invite-help = Giv linket til de andre procesledere. Den, der har linket, kan læse og ændre projektet.
sync-join = Deltag
sync-join-help = Indsæt det invitationslink, du har fået fra en anden procesleder.
sync-join-opened = Du har åbnet et invitationslink. Deltag kun, hvis du ved, hvem det kommer fra.
sync-join-relay = Projektet hentes fra relæet
sync-join-bad-link = Dette er ikke et invitationslink fra Samspill. Et invitationslink begynder med samspill:// eller samspill+ws://.
sync-link = Invitationslink
sync-local = Lokal
sync-local-hint = Projektet findes kun på denne computer. Del det for at samarbejde.
sync-offline = Offline
sync-pending = Venter på relæ
sync-share = Del
sync-reconnect = Forbind nu
sync-reconnect-hint = Prøv at nå relæet med det samme i stedet for at vente
sync-share-help = Projektet krypteres og lægges på et relæ, så andre procesledere kan deltage via et link.
sync-shared = Delt
sync-started = Projektet er delt. Øverst til højre kan du se, om alt er synkroniseret.
sync-synced = Synkroniseret
sync-idle = Delt, intet venter
sync-waiting =
    { $n ->
        [one] { $n } ændring venter
       *[other] { $n } ændringer venter
    }
sync-offline-since = Offline siden { $time }
sync-stopped = Synkroniseringen er stoppet: { $reason }
sync-removed = Du har ikke længere adgang til dette projekt
sync-token = Adgangsnøgle (hvis relæet kræver det)
sync-unavailable = Deling er endnu ikke tilgængelig i denne version. Projektet ligger sikkert lokalt.

## welcome
welcome-title = Velkommen til Samspill
welcome-body = Skriv, hvem du er. Dit navn og dit center vises for de andre procesledere i de projekter, du deler, og din farve viser, hvor du er i planen, mens I arbejder samtidig. Du kan ændre det senere ved at klikke på dit navn nederst til venstre.
welcome-save = Gem og start
welcome-skip = Spring over
welcome-edit = Hvem du er

## undo
undo-nothing = Intet at fortryde.

## work
work-add = Tilføj mellemarbejde
work-after = Efter
work-delete-confirm = Slette mellemarbejdet
work-description = Beskrivelse af mellemarbejde
work-description-hint = Hvad skal der gøres, og hvordan?
work-empty = Intet mellemarbejde endnu. Mellemarbejde er det, området afprøver mellem samlingerne.
work-help = Det, området gør mellem samlingerne, med ansvarlig og frist.
work-item-title = Mellemarbejde
work-new = Nyt mellemarbejde
work-new-hint = Nyt mellemarbejde
work-none-after = Intet mellemarbejde efter denne samling.
work-title = Mellemarbejde
work-unattached = Uden samling

## history
history-title = Historik
history-help = Hver ændring i projektet, hvem der lavede den og hvornår, samlet i arbejdssessioner. Klik på en ændring for at se projektet, som det var dengang.
history-checkpoints = Tjekpunkter
history-checkpoints-help = Giv den nuværende tilstand et navn, fx »Efter første samling«, så I let kan finde tilbage til den.
history-checkpoint-name = Navn på tjekpunkt
history-checkpoint-hint = Efter første samling
history-add-checkpoint = Tilføj tjekpunkt
history-view = Vis
history-view-checkpoint = Se projektet, som det var ved tjekpunktet
history-view-hint = Klik for at se projektet, som det var efter denne ændring
history-empty = Ingen ændringer endnu.
history-older =
    { $n ->
        [one] … { $n } ældre arbejdssession vises ikke
       *[other] … { $n } ældre arbejdssessioner vises ikke
    }
history-no-message = (ændring uden beskrivelse)
history-now = nu
history-unknown = Ukendt person
history-after = efter ændringen
history-as-it-was = Sådan så projektet ud
history-read-only = Dette er en ældre version, som kun kan læses. Gå tilbage for at arbejde videre.
history-back = Tilbage til den nuværende version
history-restore = Gendan denne version
history-restore-confirm = Vil du gendanne projektet, som det var
history-restore-help = Gendannelsen bliver en ny ændring. Intet i historikken slettes, så I kan altid gå tilbage igen.
history-restore-do = Gendan

## access
access-title = Deling og adgang
access-intro = Linkene nedenfor giver adgang til projektet. Send dem kun til dem, der skal have adgang, og helst ikke via kanaler, hvor beskeder gemmes længe.
access-links = Invitationslinks
access-not-shared = Projektet findes kun på denne computer. Del det på et relæ for at få links, du kan sende.
access-lan-only = Projektet er kun delt på det netværk, I er på. Del det på et relæ for at få links, der virker over internettet.
access-editor-link = Link til redaktører
access-editor-help = Kan læse og ændre alt i projektet. Til proceslederne.
access-viewer-link = Link til læsere
access-viewer-help = Kan læse projektet og følge det live, men ikke ændre noget. Fx til ledelsen i kommunen.
access-copied = Kopieret
access-editor-only = Du har læseadgang, så du kan kun dele linket til læsere.
access-wait-relay = Linket til læsere kommer, når relæet har bekræftet projektets skrivenøgle. Det sker, næste gang projektet synkroniseres.
access-refresh = Indlæs linkene igen
access-members = Medlemmer
access-name = Navn
access-centre = Center
access-role = Rolle
access-devices = Enheder
access-last = Senest ændret
access-no-device = ingen
access-never = aldrig
access-members-help = Her står alle, der har skrevet i projektet. Læsere står ikke her, fordi de ikke kan skrive.
access-remove = Fjern fra projektet
access-remove-hover = Fjerner adgangen: Projektet får nye nøgler, som kun de andre får.
access-remove-title = Fjerne { $name } fra projektet?
access-remove-does = Projektet får nye nøgler. Alle andre medlemmer får dem automatisk, næste gang deres computer er online, og relæet låser de gamle. { $name } kan ikke læse noget, der skrives herefter, og kan ikke ændre projektet.
access-remove-does-not = Det, { $name } allerede har læst eller gemt, kan ikke tages tilbage: Kopien på computeren hos { $name } bliver liggende, skrivebeskyttet. Læsere, der kom ind med et læserlink, og medlemmer uden en registreret enhed skal have et nyt link.
access-remove-confirm = Fjern { $name }
access-was-removed = fjernet
access-removed = { $name } er fjernet. Projektet har fået nye nøgler.
access-need-link = Disse skal have et nyt link: { $names }.

## presence
presence-unknown = Ukendt deltager

## save
save-failed = Kunne ikke gemme (ændringerne er bevaret og gemmes ved næste forsøg)
sync-join-lan = Projektet hentes fra en maskine på dette netværk (intet relæ, intet internet). Den, der sendte linket, skal have »Synkroniser på dette netværk« slået til.
sync-lan = Synkroniser på dette netværk
sync-lan-hover = Deler projekterne direkte med de andre på samme netværk, uden relæ og uden internet. Alt er krypteret som ellers.
sync-lan-live = { $count ->
    [one] på netværket med én maskine
   *[other] på netværket med { $count } maskiner
}
access-lan-link = Link til dette netværk
access-lan-help = Virker uden relæ og uden internet: den, du sender det til, finder projektet på det netværk, I er på, mens du har »Synkroniser på dette netværk« slået til. Giver fuld adgang som redaktør.
access-lan-make = Lav et link til dette netværk
