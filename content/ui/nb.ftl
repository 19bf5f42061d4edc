# Samspill's UI strings in Norwegian bokmål (Fluent, https://projectfluent.org).
#
# Message ids are "area-thing". nb, en and da hold the same messages with the same
# variables (a test checks it). Counts use plural selectors: { $n ->
#     [one] ...
#    *[other] ...
# }

## change
change-run-paused = Satte samlingen på pause
change-run-resumed = Fortsatte samlingen
change-run-adjusted = Ga programpunktet som pågikk, { $v1 } minutter
change-added-note = La til et notat i { $v1 }
change-added-work = La til mellomarbeid «{ $v1 }»
change-added-check = La til «{ $v1 }» i sjekklisten
change-added-gathering = La til samling «{ $v1 }»
change-added-task = La til oppgave «{ $v1 }»
change-added-agenda = La til «{ $v1 }» i et program
change-assigned = Ga en oppgave til noen
change-language = Endret prosjektets språk
change-checkpoint = Sjekkpunkt «{ $v1 }»
change-edited-check = Endret et punkt i sjekklisten
change-edited-agenda = Endret et programpunkt
change-edited-work = Endret mellomarbeid
change-edited-notes = Skrev i notatene for { $v1 }
change-evaluated = Evaluerte en samling
change-run-finished = Fullførte en samling
change-migrated = Oppgraderte fra skjema { $v1 } til { $v2 }
change-next-item = Gikk videre til neste programpunkt
change-relay = Delte prosjektet på et relé
change-device = Registrerte en enhet
change-removed-check = Fjernet et punkt fra sjekklisten
change-removed-task = Fjernet en oppgave
change-removed-agenda = Fjernet et programpunkt
change-removed-member = Fjernet fra prosjektet
change-renamed-task = Ga oppgaven nytt navn: «{ $v1 }»
change-reordered-agenda = Endret rekkefølgen i et program
change-reordered-gatherings = Endret rekkefølgen på samlingene
change-reordered-tasks = Endret rekkefølgen på oppgavene
change-reordered-checklist = Endret rekkefølgen i sjekklisten
change-restored = Gjenopprettet prosjektet slik det var etter { $v1 }
change-due = Satte frist for en oppgave
change-phase-status = Satte fasen { $v1 } til { $v2 }
change-dates = Satte prosjektets datoer
change-when = Satte tid for en samling
change-run-started = Startet en samling
change-run-stopped = Stoppet en samling
change-updated-person = Oppdaterte { $v1 }
change-logged-gathering = Skrev i loggen for en samling
change-logged-project = Skrev i prosjektloggen
change-completed-task = Fullførte oppgave «{ $v1 }»
change-reopened-task = Åpnet oppgave «{ $v1 }» igjen
change-ticked = Krysset av «{ $v1 }»
change-unticked = Fjernet krysset for «{ $v1 }»
change-imported = Importerte «{ $v1 }»
change-created = Opprettet «{ $v1 }» fra malen { $v2 }
change-archived = Arkiverte prosjektet
change-unarchived = Hentet prosjektet fram fra arkivet
change-edited-gathering-log = Skrev i loggen for en samling
change-edited-goal = Skrev målet
change-edited-service = Endret tjenesten
change-removed-gathering = Fjernet en samling
change-removed-log = Fjernet en loggføring
change-removed-person = Fjernet en person
change-removed-work = Fjernet mellomarbeid
change-renamed-gathering = Ga en samling nytt navn
change-renamed-project = Ga prosjektet nytt navn
change-place = Satte sted for en samling

## role
role-prosessleder = Prosessleder
role-leder = Leder
role-ansatt = Ansatt
role-tillitsvalgt = Tillitsvalgt
role-annen = Annen

## people
people-add = Legg til person
people-name = Navn på ny person
people-name-hint = Navn, f.eks. enhetsleder
people-role = Rolle

## mytasks
mytasks-title = Mine oppgaver
mytasks-help = Oppgavene som er gitt til deg, i alle prosjektene. De som har passert fristen, står i rødt.
mytasks-empty = Du har ingen åpne oppgaver. Oppgaver som blir tildelt deg, dukker opp her.
mytasks-open = Åpne fasen

## run
run-pause = Pause
run-resume = Fortsett
run-paused = På pause
run-less = −5 min
run-more = +5 min
run-projector = Storskjerm
run-projector-hint = Vis klokke, programpunkt og hva som kommer etterpå over hele skjermen (Esc går tilbake)
run-projector-close = Lukk storskjerm
run-time-up = Tiden for dette punktet er ute.
run-run = Kjør
run-run-hint = Kjør samlingen live: gjeldende programpunkt, gjenstående tid og notater
run-follow = Følg
run-follow-hint = Samlingen kjøres nå: følg med på samme skjerm
run-empty = Legg til programpunkter først
run-title = Samling pågår
run-banner = Samling pågår
run-close = Lukk kjørevisningen
run-following = Du følger samlingen
run-following-help = Du følger med. Den som leder, går videre i programmet.
run-take-over = Ta over styringen
run-item = Programpunkt
run-planned-at = planlagt
run-left = igjen
run-over = over tiden
run-planned = Planlagt
run-elapsed = brukt
run-next-item = Deretter
run-last-item = Dette er siste programpunkt.
run-next = Neste
run-finish = Avslutt samlingen
run-next-keys = Mellomrom eller pil høyre
run-stop = Avslutt
run-note = Notat til loggen
run-note-hint = Hva skjer nå? Notatet havner i samlingens logg.
run-note-add = Skriv i loggen
run-log = Samlingens logg
run-view = Kjørevisning
run-finished = Samlingen er ferdig.
run-not-running = Samlingen kjøres ikke nå.
run-start-again = Start fra begynnelsen
run-back = Tilbake til samlingen
run-actual = Planlagt og faktisk tid
run-col-item = Programpunkt
run-actual-col = Faktisk
run-difference = Avvik
run-on-now = Pågår nå

## files
files-unavailable = Fant ingen fildialog på dette skrivebordet. Skriv stien i feltet i stedet.
files-save-title = Lagre som

## import
import-choose = Velg fil …
import-do = Importer
import-done = Prosjektet er importert.
import-help = Velg en .automerge- eller .json-eksport fra Samspill. Prosjektet blir en ny kopi på denne maskinen.
import-path = Filsti
import-title = Importer

## print
print-save-pdf = Lagre som PDF …
print-save-html = Lagre som HTML …
print-plan = Skriv ut prosjektplanen
print-agenda = Skriv ut programmet
print-path = Fil
print-path-hint = /home/…/program
print-pdf = PDF
print-html = HTML
print-help = Filen skrives dit du angir; filendelsen settes etter formatet.
print-written = Skrevet til

## date
date-pick = Velg dato
date-previous = Forrige måned
date-next = Neste måned
date-today = I dag
date-clear = Ingen dato

## project
project-overdue = forfalt
project-add-check = Legg til
project-assignee = Tildelt
project-add-task = Legg til oppgave
project-check-text = Sjekkpunkt
project-checklist = Sjekkliste
project-checklist-help = Kryss av når punktet er på plass. Vi viser hvem som krysset av, og når.
project-dates = Periode
project-done-by = Utført av
project-done-of = fullført
project-due = Frist
project-end = Sluttdato
project-goal = Realistisk drøm
project-goal-hint = Hvor vil tjenesten? Formuler målet sammen med dem.
project-guide = Veiledning
project-loading = Åpner prosjektet …
project-new-check = Nytt sjekkpunkt
project-new-check-hint = Nytt sjekkpunkt
project-new-task = Ny oppgave
project-new-task-hint = Ny oppgave (Ctrl+N)
project-nobody = Ingen
project-notes = Notater
project-notes-hint = Felles notater for fasen
project-overview = Oversikt
project-people = Folk i prosjektet
project-people-empty = Ingen personer ennå. Skriv navnet ditt under Innstillinger.
project-phases = Faser
project-read-less = Vis mindre
project-read-more = Les mer
project-service = Tjeneste
project-start = Startdato
project-status = Status:
project-task-title = Oppgave
project-tasks = Oppgaver
project-tasks-empty = Ingen oppgaver i denne fasen. Skriv en nedenfor.
project-title-label = Prosjektnavn
project-upcoming = Neste frister
project-removed-body = Prosjektet har fått nye nøkler, og denne maskinen fikk dem ikke: du er fjernet, eller maskinen var ikke registrert i prosjektet. Du beholder det du hadde, men kan ikke endre det, og nye endringer kommer ikke hit. Skal du være med videre, ber du en prosessleder om en ny lenke.
project-viewer-title = Du har lesetilgang
project-viewer-body = Du kan lese prosjektet og følge det live, men ikke endre det. Be en av prosesslederne om en lenke med skrivetilgang hvis du skal skrive i det.
project-viewer-refused = Du har lesetilgang til dette prosjektet, så endringen ble ikke gjort.

## nav
nav-hide = Skjul sidemenyen
nav-show = Vis sidemenyen

## keys
keys-sidebar = Skjul eller vis sidemenyen
keys-close = Lukk dialogen
keys-help = Vis hurtigtastene
keys-library = Metodebiblioteket
keys-move = Flytt valgt programpunkt
keys-new = Ny oppgave (nytt prosjekt i listen)
keys-redo = Gjør om
keys-sections = Forrige / neste del av prosjektet
keys-settings = Innstillinger
keys-title = Hurtigtaster
keys-undo = Angre din siste endring

## language
language-nb = bokmål
language-en = engelsk
language-da = dansk

## conflict
conflict-title = Endret samtidig
conflict-use = Bruk
conflict-keep = Behold
conflict-empty = ingen

## app
app-title = Samspill

## projects
projects-title = Prosjekter
projects-empty = Du har ingen prosjekter ennå. Opprett et nytt for å komme i gang.
projects-new = Nytt prosjekt
projects-archive = Arkiver
projects-archive-confirm = Arkivere prosjektet? Det forsvinner fra listen, men kan hentes fram igjen:
projects-archived-notice = Prosjektet er arkivert.
projects-create = Opprett prosjekt
projects-created = Prosjektet er opprettet.
projects-more = Flere valg
projects-no-service = Ingen tjeneste angitt
projects-open = Åpne
projects-rename = Gi nytt navn
projects-restore = Hent fram
projects-restore-confirm = Hente prosjektet fram fra arkivet?
projects-restored-notice = Prosjektet er hentet fram igjen.
projects-service-hint = F.eks. Hjemmetjenesten i Lindvik kommune
projects-show-archived = Vis arkiverte prosjekter ({ $n })
projects-subtitle = Utviklingsprosessene du er med på, lagret på denne maskinen.
projects-template = Mal
projects-template-gatherings = samlinger med program følger med.
projects-template-phases = Faser
projects-title-hint = F.eks. Bedre overganger i hjemmetjenesten

## common
common-cancel = Avbryt
common-save = Lagre
common-delete = Slett
common-ok = OK
common-date-hint = DD.MM.ÅÅÅÅ
common-or = eller
common-time-hint = TT:MM

## settings
settings-title = Innstillinger
settings-language = Språk
settings-appearance = Utseende
settings-centre = Senter
settings-colour = Farge
settings-dark = Mørkt
settings-help = Navnet, senteret og fargen din vises for de andre prosesslederne i prosjektene dine.
settings-light = Lyst
settings-name = Navn
settings-relay = Relé
settings-relay-help = Foreslås når du deler et prosjekt, f.eks. senterets egen relé-server.
settings-saved = Innstillingene er lagret.
settings-sync = Deling
settings-theme = Tema
settings-you = Deg

## phase-kind
phase-kind-oppstart = Oppstart
phase-kind-planlegging = Planlegging
phase-kind-gjennomforing = Gjennomføring
phase-kind-evaluering = Evaluering

## tag
tag-analysis = Analyse
tag-decision = Beslutning
tag-dialogue = Dialog
tag-energy = Energi og bevegelse
tag-evaluation = Evaluering
tag-ideas = Idéutvikling
tag-involvement = Medvirkning
tag-large-group = Store grupper
tag-learning = Læring
tag-peer-support = Kollegaveiledning
tag-planning = Planlegging
tag-reflection = Refleksjon
tag-relations = Relasjonsbygging
tag-strengths = Styrkebasert
tag-vision = Visjon og mål

## export
export-goal = Mål
export-service = Tjeneste
export-dates = Periode
export-people = Deltakere
export-phase = Fase
export-status = Status
export-tasks = Oppgaver
export-checklist = Sjekkliste
export-notes = Notater
export-gatherings = Samlinger
export-agenda = Program
export-time = Tid
export-minutes = Minutter
export-method = Metode
export-responsible = Ansvarlig
export-place = Sted
export-log = Logg
export-evaluation = Evaluering
export-worked = Dette fungerte
export-change = Dette bør endres
export-between-work = Mellomarbeid
export-project-log = Prosjektlogg
export-done = Utført
export-not-done = Ikke utført
export-assignee = Tildelt
export-due = Frist
export-status-not_started = Ikke startet
export-status-active = Pågår
export-status-done = Fullført
export-total = Totalt
export-generated = Generert
export-no-items = Ingenting ennå

## action
action-redo = Gjør om
action-undo = Angre

## agenda
agenda-add = Legg til punkt
agenda-add-method = Legg til metode …
agenda-browse = Metodebiblioteket
agenda-down = Flytt ned
agenda-drag = Dra for å flytte
agenda-empty = Programmet er tomt. Legg til et punkt eller en metode fra biblioteket nedenfor.
agenda-ends = slutter
agenda-hours-short = t
agenda-item-title = Programpunkt
agenda-minutes = Minutter
agenda-new = Nytt programpunkt
agenda-new-hint = Nytt punkt, f.eks. «Pause»
agenda-no-start = Sett et starttidspunkt for å se klokkeslettene.
agenda-notes = Notater til programpunkt
agenda-notes-hint = Notater, materiell …
agenda-title = Program
agenda-total = Totalt
agenda-up = Flytt opp
agenda-responsible = Ansvarlig

## confirm
confirm-title = Er du sikker?

## gatherings
gatherings-add = Ny samling
gatherings-between-work = Mellomarbeid etter samlingen
gatherings-change = Dette bør endres
gatherings-date = Dato
gatherings-delete = Slett samling
gatherings-delete-confirm = Slette samlingen med program, logg og evaluering? Dette kan ikke angres:
gatherings-empty = Ingen samlinger ennå. Gi den første samlingen et navn over og trykk «Ny samling».
gatherings-evaluation = Evaluering
gatherings-help = Samlingene med program, logg og evaluering. Klokkeslettene regnes ut mens du skriver.
gatherings-log = Logg fra samlingen
gatherings-log-hint = Hva skjedde, hva ble bestemt, hvem følger opp?
gatherings-name = Navn på samlingen
gatherings-new = Navn på ny samling
gatherings-new-hint = Navn på ny samling
gatherings-place = Sted
gatherings-place-hint = Hvor, f.eks. kommunestyresalen
gatherings-start = Start
gatherings-title = Samlinger
gatherings-worked = Dette fungerte

## library
library-add = Legg til i programmet
library-add-to = Samling:
library-all-phases = Alle faser
library-all-tags = Alle temaer
library-clear = Nullstill
library-count =
    { $n ->
        [one] { $n } metode
       *[other] { $n } metoder
    }
library-help = Metoder for samlinger og møter. Søk, filtrer på fase og tema, og legg en metode rett inn i et program.
library-materials = Materiell
library-none = Ingen metoder passer. Prøv et annet søk eller nullstill filtrene.
library-open-project = Åpne et prosjekt med en samling for å legge metoden inn i et program.
library-people = personer
library-purpose = Hensikt
library-search = Søk i metoder
library-search-hint = Søk, f.eks. «refleksjon»
library-steps = Slik gjør du
library-title = Metodebibliotek

## log
log-add = Skriv i loggen
log-delete-confirm = Slette loggføringen
log-empty = Loggen er tom. Skriv ned beslutninger og milepæler etter hvert, så har dere historikken samlet.
log-help = Daterte notater om prosessen: beslutninger, milepæler, endringer.
log-hint = Hva har skjedd?
log-new = Ny loggføring
log-title = Prosjektlogg

## redo
redo-nothing = Ingenting å gjøre om.

## status
status-active = Pågår
status-done = Fullført
status-not_started = Ikke startet

## sync
sync-connecting = Kobler til …
sync-copy = Kopier lenken
sync-error = Feil i synkronisering
sync-invite = Invitasjonslenke
sync-invite-help = Gi lenken til de andre prosesslederne. Den som har lenken, kan lese og endre prosjektet.
sync-join = Bli med
sync-join-help = Lim inn invitasjonslenken du har fått fra en annen prosessleder.
sync-join-opened = Du åpnet en invitasjonslenke. Bli med bare hvis du vet hvem den kommer fra.
sync-join-relay = Prosjektet hentes fra reléet
sync-join-bad-link = Dette er ikke en invitasjonslenke fra Samspill. Den begynner med samspill:// eller samspill+ws://.
sync-link = Invitasjonslenke
sync-local = Lokal
sync-local-hint = Prosjektet finnes bare på denne maskinen. Del det for å samarbeide.
sync-offline = Frakoblet
sync-pending = Venter på relé
sync-share = Del
sync-reconnect = Koble til nå
sync-reconnect-hint = Prøv å nå reléet med en gang i stedet for å vente
sync-share-help = Prosjektet krypteres og legges på et relé, så andre prosessledere kan bli med via en lenke.
sync-shared = Delt
sync-started = Prosjektet er delt. Øverst til høyre ser du om alt er synkronisert.
sync-synced = Synkronisert
sync-idle = Delt, ingenting venter
sync-waiting =
    { $n ->
        [one] { $n } endring venter
       *[other] { $n } endringer venter
    }
sync-offline-since = Frakoblet siden { $time }
sync-stopped = Synkronisering stoppet: { $reason }
sync-removed = Du har ikke lenger tilgang til dette prosjektet
sync-token = Tilgangsnøkkel (hvis reléet krever det)
sync-unavailable = Deling er ikke tilgjengelig i denne versjonen ennå. Prosjektet ligger trygt lokalt.

## welcome
welcome-title = Velkommen til Samspill
welcome-body = Skriv hvem du er. Navnet og senteret vises for de andre prosesslederne i prosjektene du deler, og fargen viser hvor du er i planen mens dere jobber samtidig. Du kan endre det senere ved å klikke på navnet ditt nederst til venstre.
welcome-save = Lagre og start
welcome-skip = Hopp over
welcome-edit = Hvem du er

## undo
undo-nothing = Ingenting å angre.

## work
work-add = Legg til mellomarbeid
work-after = Etter
work-delete-confirm = Slette mellomarbeidet
work-description = Beskrivelse av mellomarbeid
work-description-hint = Hva skal gjøres, og hvordan?
work-empty = Ikke noe mellomarbeid ennå. Mellomarbeid er det tjenesten prøver ut mellom samlingene.
work-help = Det tjenesten gjør mellom samlingene, med ansvarlig og frist.
work-item-title = Mellomarbeid
work-new = Nytt mellomarbeid
work-new-hint = Nytt mellomarbeid
work-none-after = Ikke noe mellomarbeid etter denne samlingen.
work-title = Mellomarbeid
work-unattached = Uten samling

## history
history-title = Historikk
history-help = Hver endring i prosjektet, hvem som gjorde den og når, samlet i arbeidsøkter. Klikk på en endring for å se prosjektet slik det var da.
history-checkpoints = Sjekkpunkter
history-checkpoints-help = Gi dagens tilstand et navn, for eksempel «Etter første samling», så finner dere lett tilbake til den.
history-checkpoint-name = Navn på sjekkpunkt
history-checkpoint-hint = Etter første samling
history-add-checkpoint = Legg til sjekkpunkt
history-view = Vis
history-view-checkpoint = Se prosjektet slik det var ved sjekkpunktet
history-view-hint = Klikk for å se prosjektet slik det var etter denne endringen
history-empty = Ingen endringer ennå.
history-older =
    { $n ->
        [one] … { $n } eldre arbeidsøkt er ikke vist
       *[other] … { $n } eldre arbeidsøkter er ikke vist
    }
history-no-message = (endring uten beskrivelse)
history-now = nå
history-unknown = Ukjent person
history-after = etter endringen
history-as-it-was = Slik så prosjektet ut
history-read-only = Dette er en eldre versjon og kan bare leses. Gå tilbake for å fortsette å arbeide.
history-back = Tilbake til nåværende versjon
history-restore = Gjenopprett denne versjonen
history-restore-confirm = Vil du gjenopprette prosjektet slik det var
history-restore-help = Gjenopprettingen blir en ny endring. Ingenting i historikken slettes, så dere kan alltid gå tilbake igjen.
history-restore-do = Gjenopprett

## access
access-title = Deling og tilgang
access-intro = Lenkene under gir tilgang til prosjektet. Send dem bare til dem som skal ha den, og helst ikke i kanaler som lagres lenge.
access-links = Invitasjonslenker
access-not-shared = Prosjektet finnes bare på denne maskinen. Del det på et relé for å få lenker du kan sende.
access-lan-only = Prosjektet er bare delt på nettverket dere er på. Del det på et relé for å få lenker som virker over internett.
access-editor-link = Lenke for redaktører
access-editor-help = Kan lese og endre alt i prosjektet. For prosesslederne.
access-viewer-link = Lenke for lesere
access-viewer-help = Kan lese prosjektet og følge det live, men ikke endre noe. For eksempel for ledelsen i kommunen.
access-copied = Kopiert
access-editor-only = Du har lesetilgang, så du kan bare dele lenken for lesere.
access-wait-relay = Lenken for lesere kommer når reléet har bekreftet prosjektets skrivenøkkel. Det skjer neste gang prosjektet synkroniseres.
access-refresh = Les lenkene på nytt
access-members = Medlemmer
access-name = Navn
access-centre = Senter
access-role = Rolle
access-devices = Enheter
access-last = Sist endret
access-no-device = ingen
access-never = aldri
access-members-help = Her står alle som har skrevet i prosjektet. Lesere står ikke her, fordi de ikke kan skrive.
access-remove = Fjern fra prosjektet
access-remove-hover = Tar bort tilgangen: prosjektet får nye nøkler som bare de andre får.
access-remove-title = Fjerne { $name } fra prosjektet?
access-remove-does = Prosjektet får nye nøkler. Alle andre medlemmer får dem automatisk neste gang maskinen deres er på nett, og reléet låser de gamle. { $name } kan ikke lese noe som skrives etter dette, og kan ikke endre prosjektet.
access-remove-does-not = Det { $name } allerede har lest eller lagret, kan ikke tas tilbake: kopien på { $name } sin maskin blir værende, skrivebeskyttet. Lesere som kom inn med en leserlenke, og medlemmer uten registrert enhet, trenger en ny lenke.
access-remove-confirm = Fjern { $name }
access-was-removed = fjernet
access-removed = { $name } er fjernet. Prosjektet har fått nye nøkler.
access-need-link = Disse trenger en ny lenke: { $names }.

## presence
presence-unknown = Ukjent deltaker

## save
save-failed = Kunne ikke lagre (endringene er beholdt og lagres ved neste forsøk)
sync-join-lan = Prosjektet hentes fra en maskin på dette nettverket (ingen relé, ingen internett). Den som sendte lenken må ha «Synkroniser på dette nettverket» på.
sync-lan = Synkroniser på dette nettverket
sync-lan-hover = Deler prosjektene direkte med de andre på samme nettverk, uten relé og uten internett. Alt er kryptert som ellers.
sync-lan-live = { $count ->
    [one] på nettverket med én maskin
   *[other] på nettverket med { $count } maskiner
}
access-lan-link = Lenke for dette nettverket
access-lan-help = Virker uten relé og uten internett: den du sender den til, finner prosjektet på nettverket dere er på, mens du har «Synkroniser på dette nettverket» på. Gir full tilgang som redaktør.
access-lan-make = Lag lenke for dette nettverket
