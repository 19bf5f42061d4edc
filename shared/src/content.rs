//! The content library: methods, project templates and UI strings.
//!
//! Content is data, kept as TOML (methods, templates) and Fluent (UI strings) under
//! `content/` at the workspace root and compiled into
//! every binary (`build.rs` lists the files; [`library`] parses them once). Nothing here
//! reads files at run time.
//!
//! # Layout
//!
//! ```text
//! content/methods/<id>.toml     one working method each (the file name is the id)
//! content/templates/<id>.toml   one project template each
//! content/ui/<lang>.ftl         UI strings in Fluent: nb.ftl, en.ftl, da.ftl
//! ```
//!
//! # Methods
//!
//! ```toml
//! id = "igp"
//! phases = ["planlegging", "gjennomforing"]  # the phase kinds the method suits
//! tags = ["reflection", "dialogue"]          # each needs `tag-<tag>` in the UI strings
//! duration_minutes = 30                      # typical length
//! group_size_min = 3
//! group_size_max = 40                        # optional: omitted means no upper bound
//!
//! [nb]                                       # one table per language: nb and en required
//! name = "IGP"
//! summary = "One sentence."
//! purpose = "A paragraph."
//! steps = ["...", "..."]                     # the same number in every language
//! materials = []
//!
//! [en]
//! # the same keys
//! ```
//!
//! # Templates
//!
//! A template names its languages (the first is the default for a new project), and
//! every text in it is a table with one entry per language, `{ nb = "...", en = "..." }`.
//! It holds phases (`id`, a `kind` from the four phase kinds, suggested `methods`,
//! `name`, `guide`, `read_more`, default `tasks` and `checklist` items) and optionally
//! `gatherings` with a timed `agenda` (items may name a method) and `between_work`
//! assignments. See `content/templates/four-phase.toml` for a full example.
//!
//! # UI strings
//!
//! One Fluent file per language (`export-phase = Fase`). Message ids are `area-thing`;
//! values may take variables (`{ $name }`) and plural selectors on counts. nb, en and da
//! hold the same messages with the same variables; see [`Strings`].
//!
//! # Checking
//!
//! [`Library::parse`] fails on malformed TOML or Fluent, unknown fields, a message defined
//! twice or a second strings file for one language, naming the file.
//! [`Library::validate`] finds everything that parses but is wrong: duplicate ids,
//! missing translations, dangling method references, unknown tags, missing UI strings.
//! A unit test validates the compiled-in library, so broken content fails `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod files {
    include!(concat!(env!("OUT_DIR"), "/content_files.rs"));
}

/// The UI strings, one Fluent file per language, compiled in.
const STRINGS_FILES: &[(&str, &str)] = &[
    (
        "ui/nb.ftl",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../content/ui/nb.ftl")),
    ),
    (
        "ui/en.ftl",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../content/ui/en.ftl")),
    ),
    (
        "ui/da.ftl",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../content/ui/da.ftl")),
    ),
];

/// Labels every export format needs, in every language (Danish included).
pub const EXPORT_KEYS: &[&str] = &[
    "export-goal",
    "export-service",
    "export-dates",
    "export-people",
    "export-phase",
    "export-status",
    "export-tasks",
    "export-checklist",
    "export-notes",
    "export-gatherings",
    "export-agenda",
    "export-time",
    "export-minutes",
    "export-method",
    "export-responsible",
    "export-place",
    "export-log",
    "export-evaluation",
    "export-worked",
    "export-change",
    "export-between-work",
    "export-project-log",
    "export-done",
    "export-not-done",
    "export-assignee",
    "export-due",
    "export-status-not_started",
    "export-status-active",
    "export-status-done",
    "export-total",
    "export-generated",
    "export-no-items",
];

// ---------------------------------------------------------------------------------------
// Languages and phase kinds
// ---------------------------------------------------------------------------------------

/// A content language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Norwegian bokmål.
    Nb,
    /// English.
    En,
    /// Danish.
    Da,
}

impl Lang {
    /// Every language, in display order.
    pub const ALL: [Lang; 3] = [Lang::Nb, Lang::En, Lang::Da];

    /// The language code used in files and on the command line: `nb`, `en` or `da`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
            Lang::Da => "da",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is not `nb`, `en` or `da`.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("unknown language {0:?}: use nb, en or da")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nb" => Ok(Lang::Nb),
            "en" => Ok(Lang::En),
            "da" => Ok(Lang::Da),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// The four kinds of phase in the facilitators' process. Every template phase has one,
/// so methods can be suggested for phases of any template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    /// Start-up: agreeing on the assignment, the people and the shared dream.
    Oppstart,
    /// Planning: goals, plan, roles and the first gatherings.
    Planlegging,
    /// Carrying out: gatherings, between-work, trying things in practice.
    Gjennomforing,
    /// Evaluation: what was achieved, what was learnt, how it lives on.
    Evaluering,
}

impl PhaseKind {
    /// The four kinds, in process order.
    pub const ALL: [PhaseKind; 4] = [
        PhaseKind::Oppstart,
        PhaseKind::Planlegging,
        PhaseKind::Gjennomforing,
        PhaseKind::Evaluering,
    ];

    /// The id used in files and on the command line (`gjennomforing`, without ø).
    pub fn id(self) -> &'static str {
        match self {
            PhaseKind::Oppstart => "oppstart",
            PhaseKind::Planlegging => "planlegging",
            PhaseKind::Gjennomforing => "gjennomforing",
            PhaseKind::Evaluering => "evaluering",
        }
    }

    /// The position in the process, 1 to 4.
    pub fn number(self) -> u8 {
        match self {
            PhaseKind::Oppstart => 1,
            PhaseKind::Planlegging => 2,
            PhaseKind::Gjennomforing => 3,
            PhaseKind::Evaluering => 4,
        }
    }
}

impl fmt::Display for PhaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A phase kind that is not one of the four.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("unknown phase kind {0:?}: use oppstart, planlegging, gjennomforing or evaluering")]
pub struct UnknownPhaseKind(pub String);

impl FromStr for PhaseKind {
    type Err = UnknownPhaseKind;

    /// Accepts the ids, case-insensitively, and `gjennomføring` spelt with ø.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "oppstart" => Ok(PhaseKind::Oppstart),
            "planlegging" => Ok(PhaseKind::Planlegging),
            "gjennomforing" | "gjennomføring" => Ok(PhaseKind::Gjennomforing),
            "evaluering" => Ok(PhaseKind::Evaluering),
            _ => Err(UnknownPhaseKind(s.to_owned())),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Localized text
// ---------------------------------------------------------------------------------------

/// A text in several languages, written in TOML as `{ nb = "...", en = "..." }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<Lang, String>);

impl Localized {
    /// The text in `lang`; failing that English, then bokmål, then any language, then "".
    pub fn get(&self, lang: Lang) -> &str {
        fallback(&self.0, lang).map_or("", String::as_str)
    }

    /// Whether there is a non-blank text in exactly `lang` (no fallback).
    pub fn has(&self, lang: Lang) -> bool {
        self.0.get(&lang).is_some_and(|t| !t.trim().is_empty())
    }
}

impl<const N: usize> From<[(Lang, &str); N]> for Localized {
    fn from(pairs: [(Lang, &str); N]) -> Self {
        Localized(pairs.into_iter().map(|(l, t)| (l, t.to_owned())).collect())
    }
}

/// The shared fallback order: exact, then English, then bokmål, then the first present.
fn fallback<T>(map: &BTreeMap<Lang, T>, lang: Lang) -> Option<&T> {
    map.get(&lang)
        .or_else(|| map.get(&Lang::En))
        .or_else(|| map.get(&Lang::Nb))
        .or_else(|| map.values().next())
}

// ---------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------

/// A working method (arbeidsform / verktøy) a facilitator can use in a phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "MethodFile")]
pub struct Method {
    pub id: String,
    /// The phase kinds the method suits.
    pub phases: Vec<PhaseKind>,
    /// Tag ids; `tag-<tag>` in the UI strings names each.
    pub tags: Vec<String>,
    /// Typical length.
    pub duration_minutes: u32,
    pub group_size_min: u32,
    /// `None`: no upper bound.
    pub group_size_max: Option<u32>,
    /// The texts, per language.
    pub texts: BTreeMap<Lang, MethodText>,
}

/// A method's texts in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodText {
    pub name: String,
    /// One sentence.
    pub summary: String,
    /// Why and when to use it: a paragraph.
    pub purpose: String,
    /// What to do, in order.
    pub steps: Vec<String>,
    #[serde(default)]
    pub materials: Vec<String>,
}

/// Returned for a method with no texts at all, which validation rejects.
static EMPTY_TEXT: MethodText = MethodText {
    name: String::new(),
    summary: String::new(),
    purpose: String::new(),
    steps: Vec::new(),
    materials: Vec::new(),
};

impl Method {
    /// The texts in `lang`, with the same fallback as [`Localized::get`].
    pub fn text(&self, lang: Lang) -> &MethodText {
        fallback(&self.texts, lang).unwrap_or(&EMPTY_TEXT)
    }

    /// The name in `lang` (with fallback).
    pub fn name(&self, lang: Lang) -> &str {
        &self.text(lang).name
    }

    /// Whether the method suits a phase of this kind.
    pub fn suits(&self, kind: PhaseKind) -> bool {
        self.phases.contains(&kind)
    }
}

/// The on-disk shape of a method: one optional table per language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodFile {
    id: String,
    phases: Vec<PhaseKind>,
    #[serde(default)]
    tags: Vec<String>,
    duration_minutes: u32,
    group_size_min: u32,
    group_size_max: Option<u32>,
    nb: Option<MethodText>,
    en: Option<MethodText>,
    da: Option<MethodText>,
    // `texts` is what `Method` serializes to; accepting it lets a serialized method be
    // read back.
    #[serde(default)]
    texts: BTreeMap<Lang, MethodText>,
}

impl From<MethodFile> for Method {
    fn from(file: MethodFile) -> Self {
        let mut texts = file.texts;
        for (lang, text) in [
            (Lang::Nb, file.nb),
            (Lang::En, file.en),
            (Lang::Da, file.da),
        ] {
            if let Some(text) = text {
                texts.insert(lang, text);
            }
        }
        Method {
            id: file.id,
            phases: file.phases,
            tags: file.tags,
            duration_minutes: file.duration_minutes,
            group_size_min: file.group_size_min,
            group_size_max: file.group_size_max,
            texts,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------

/// A project template: the phases (and possibly gatherings) a new project starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    /// Where the template comes in the list (lowest first; the first is the default).
    #[serde(default = "last")]
    pub order: u32,
    /// The languages the template is written in; the first is the default.
    pub languages: Vec<Lang>,
    pub name: Localized,
    pub description: Localized,
    pub phases: Vec<TemplatePhase>,
    #[serde(default)]
    pub gatherings: Vec<TemplateGathering>,
}

/// Templates without an `order` come after those with one.
fn last() -> u32 {
    u32::MAX
}

impl Template {
    /// The language a new project from this template starts in: the first listed
    /// (bokmål if the template lists none, which validation rejects).
    pub fn default_language(&self) -> Lang {
        self.languages.first().copied().unwrap_or(Lang::Nb)
    }

    /// The language a reader of `lang` sees the template's own texts in: `lang` when the
    /// template is written in it, else the template's first language (a Danish template
    /// keeps its Danish name in a Norwegian UI rather than turning English).
    pub fn shown_in(&self, lang: Lang) -> Lang {
        if self.languages.contains(&lang) {
            lang
        } else {
            self.default_language()
        }
    }

    /// The template's name for a reader of `lang` (see [`Template::shown_in`]).
    pub fn name_for(&self, lang: Lang) -> &str {
        self.name.get(self.shown_in(lang))
    }
}

/// One phase of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatePhase {
    /// Unique within the template.
    pub id: String,
    pub kind: PhaseKind,
    /// Suggested method ids.
    #[serde(default)]
    pub methods: Vec<String>,
    pub name: Localized,
    /// What the phase is about, shown at the top of the phase.
    pub guide: Localized,
    /// The longer background text behind "read more".
    #[serde(default)]
    pub read_more: Localized,
    /// Default tasks.
    #[serde(default)]
    pub tasks: Vec<Localized>,
    /// Items to tick when the phase is done.
    #[serde(default)]
    pub checklist: Vec<Localized>,
}

/// A gathering (samling) a template starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateGathering {
    pub title: Localized,
    #[serde(default)]
    pub agenda: Vec<TemplateAgendaItem>,
    /// Between-work (mellomarbeid) assignments to do after this gathering.
    #[serde(default)]
    pub between_work: Vec<Localized>,
}

/// One timed item on a gathering's agenda.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateAgendaItem {
    pub title: Localized,
    pub minutes: u32,
    /// The method used, if any.
    #[serde(default)]
    pub method: Option<String>,
    /// A break or lunch: no method, and it resets the time since the last pause.
    #[serde(default, rename = "break")]
    pub is_break: bool,
}

// ---------------------------------------------------------------------------------------
// UI strings
// ---------------------------------------------------------------------------------------

/// A value for a Fluent variable: text or a number (numbers choose plural forms).
pub use fluent_bundle::FluentValue as Arg;

type Bundle = fluent_bundle::concurrent::FluentBundle<fluent_bundle::FluentResource>;

/// UI strings: one Fluent bundle per language (`content/ui/<lang>.ftl`).
///
/// Messages without variables are formatted once, when the library is parsed, so
/// [`Strings::get`] hands out a `&str` without formatting anything per frame; messages
/// with variables go through [`Strings::format`].
#[derive(Default)]
pub struct Strings {
    bundles: BTreeMap<Lang, Bundle>,
    /// Each message formatted with no arguments.
    plain: BTreeMap<Lang, BTreeMap<String, String>>,
    /// The variables each message refers to (in any variant).
    variables: BTreeMap<Lang, BTreeMap<String, BTreeSet<String>>>,
}

impl fmt::Debug for Strings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.plain.iter().map(|(lang, m)| (lang, m.len())))
            .finish()
    }
}

impl Strings {
    /// The languages to try for `lang`: itself, then English, then bokmål.
    fn fallbacks(lang: Lang) -> [Lang; 3] {
        [lang, Lang::En, Lang::Nb]
    }

    /// The text of the message `key` in `lang`; failing that English, then bokmål, then
    /// the key itself (so a missing string shows up in the UI instead of an empty label).
    /// For a message with variables, use [`Strings::format`].
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        Self::fallbacks(lang)
            .into_iter()
            .find_map(|l| self.plain.get(&l).and_then(|m| m.get(key)))
            .map_or(key, String::as_str)
    }

    /// The message `key` in `lang` (with the same fallbacks as [`Strings::get`]), its
    /// variables filled in from `args`: `format(lang, "library-count", &[("n", 3.into())])`.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        let Some((bundle, pattern)) = Self::fallbacks(lang).into_iter().find_map(|l| {
            let bundle = self.bundles.get(&l)?;
            let pattern = bundle.get_message(key)?.value()?;
            Some((bundle, pattern))
        }) else {
            return key.to_owned();
        };
        let mut fluent_args = fluent_bundle::FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        // A missing variable is written as `{$name}` in the text; the completeness test
        // keeps every language's variables the same, so the callers' names match.
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Whether `key` exists in exactly `lang` (no fallback).
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.plain.get(&lang).is_some_and(|m| m.contains_key(key))
    }

    /// The message ids present in `lang`, sorted.
    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &str> {
        self.plain
            .get(&lang)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// The variables message `key` uses in exactly `lang`, sorted.
    pub fn variables(&self, lang: Lang, key: &str) -> Option<&BTreeSet<String>> {
        self.variables.get(&lang)?.get(key)
    }

    /// Parses Fluent files named `<lang>.ftl` (`nb.ftl`, `en.ftl`, `da.ftl`).
    fn parse(files: &[(&str, &str)]) -> Result<Strings, ContentError> {
        let mut strings = Strings::default();
        for &(file, source) in files {
            let invalid = |message: String| ContentError::Invalid {
                file: file.to_owned(),
                message,
            };
            let code = file.strip_suffix(".ftl").unwrap_or(file);
            let code = code.rsplit('/').next().unwrap_or(code);
            let lang = code.parse::<Lang>().map_err(|e| invalid(e.to_string()))?;
            let resource = fluent_bundle::FluentResource::try_new(source.to_owned()).map_err(
                |(_, errors)| {
                    let first = errors.first().map_or_else(String::new, |e| {
                        let before = source.get(..e.pos.start).unwrap_or(source);
                        // The parser may stop after the line it complains of: count to its last text.
                        let line = before.trim_end().matches('\n').count() + 1;
                        format!("line {line}: {}", e.kind)
                    });
                    invalid(format!("not valid Fluent ({first})"))
                },
            )?;
            let mut variables = BTreeMap::new();
            let mut ids = Vec::new();
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(message) = entry {
                    let id = message.id.name.to_owned();
                    let mut used = BTreeSet::new();
                    if let Some(pattern) = &message.value {
                        pattern_variables(pattern, &mut used);
                    } else {
                        return Err(invalid(format!("the message {id:?} has no text")));
                    }
                    variables.insert(id.clone(), used);
                    ids.push(id);
                }
            }
            let locale: unic_langid::LanguageIdentifier = lang
                .code()
                .parse()
                .map_err(|_| invalid(format!("no locale for {lang}")))?;
            let mut bundle = Bundle::new_concurrent(vec![locale]);
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).map_err(|errors| {
                let first = errors.first().map_or_else(String::new, ToString::to_string);
                invalid(format!("a message is defined twice ({first})"))
            })?;
            let mut plain = BTreeMap::new();
            for id in ids {
                if let Some(pattern) = bundle.get_message(&id).and_then(|m| m.value()) {
                    let mut errors = Vec::new();
                    let text = bundle.format_pattern(pattern, None, &mut errors);
                    plain.insert(id, text.into_owned());
                }
            }
            if strings.bundles.insert(lang, bundle).is_some() {
                return Err(invalid(format!("a second strings file for {lang}")));
            }
            strings.plain.insert(lang, plain);
            strings.variables.insert(lang, variables);
        }
        Ok(strings)
    }
}

/// Collects the variables (`$name`) a Fluent pattern refers to, in every variant.
fn pattern_variables(pattern: &fluent_syntax::ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    use fluent_syntax::ast::{Expression, InlineExpression, PatternElement};
    fn inline(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match e {
            InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            InlineExpression::Placeable { expression } => expression_vars(expression, out),
            InlineExpression::FunctionReference { arguments, .. } => {
                for a in &arguments.positional {
                    inline(a, out);
                }
            }
            _ => {}
        }
    }
    fn expression_vars(e: &Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            Expression::Inline(i) => inline(i, out),
            Expression::Select { selector, variants } => {
                inline(selector, out);
                for v in variants {
                    pattern_variables(&v.value, out);
                }
            }
        }
    }
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_vars(expression, out);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The library
// ---------------------------------------------------------------------------------------

/// Everything under `content/`, parsed.
#[derive(Debug, Default)]
pub struct Library {
    /// Sorted by file name, which is the id.
    pub methods: Vec<Method>,
    /// Sorted by file name, which is the id.
    pub templates: Vec<Template>,
    pub strings: Strings,
}

/// A content file that could not be parsed.
#[derive(thiserror::Error, Debug)]
pub enum ContentError {
    #[error("content file {file} is not valid: {source}")]
    Toml {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("content file {file} has the id {id:?}; rename the file or the id so they match")]
    IdMismatch { file: String, id: String },
    #[error("content file {file} is not valid: {message}")]
    Invalid { file: String, message: String },
}

/// Something that parses but is wrong, found by [`Library::validate`].
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ContentProblem {
    #[error("two methods have the id {id:?}")]
    DuplicateMethod { id: String },
    #[error("two templates have the id {id:?}")]
    DuplicateTemplate { id: String },
    #[error("template {template:?} has two phases with the id {phase:?}")]
    DuplicatePhase { template: String, phase: String },
    #[error("method {method:?} has no [{lang}] texts")]
    MissingMethodText { method: String, lang: Lang },
    #[error("method {method:?} has an empty {field} in [{lang}]")]
    EmptyMethodText {
        method: String,
        lang: Lang,
        field: &'static str,
    },
    #[error("method {method:?} has {found} {field} in [{lang}] but {expected} in [nb]")]
    ListLengthMismatch {
        method: String,
        lang: Lang,
        field: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("method {method:?} has no group_size_max (say how many it works for at most)")]
    MethodWithoutMaxGroup { method: String },
    #[error("method {method:?} lists no materials in [{lang}]")]
    MethodWithoutMaterials { method: String, lang: Lang },
    #[error("template {template:?}: {place} runs {minutes} minutes without a break")]
    AgendaWithoutBreak {
        template: String,
        place: String,
        minutes: u32,
    },
    #[error("method {method:?} suits no phase")]
    MethodWithoutPhases { method: String },
    #[error("method {method:?}: {reason}")]
    BadMethodNumbers { method: String, reason: String },
    #[error(
        "method {method:?} has the tag {tag:?}, but there is no \"tag-{tag}\" UI string in {lang}"
    )]
    UnknownTag {
        method: String,
        tag: String,
        lang: Lang,
    },
    #[error("template {template:?} lists no languages")]
    TemplateWithoutLanguages { template: String },
    #[error("template {template:?} has no phases")]
    TemplateWithoutPhases { template: String },
    #[error("template {template:?}: {place} has no {lang} text")]
    MissingTemplateText {
        template: String,
        place: String,
        lang: Lang,
    },
    #[error("template {template:?}: {place} names the method {method:?}, which does not exist")]
    DanglingMethod {
        template: String,
        place: String,
        method: String,
    },
    #[error("the UI string {key:?} is missing in {lang}")]
    MissingString { key: String, lang: Lang },
    #[error("the UI string {key:?} uses [{found}] in {lang} but [{expected}] in nb")]
    StringVariablesDiffer {
        key: String,
        lang: Lang,
        expected: String,
        found: String,
    },
}

impl Library {
    /// Parses content files: methods and templates as `(file name, TOML)` pairs, and the
    /// UI strings files (`(file name, Fluent)`, one per language, named `<lang>.ftl`).
    /// Each method's and template's id must match its file name.
    pub fn parse(
        methods: &[(&str, &str)],
        templates: &[(&str, &str)],
        strings: &[(&str, &str)],
    ) -> Result<Library, ContentError> {
        let methods = methods
            .iter()
            .map(|&(file, source)| parse_file::<Method>(file, source, |m| &m.id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut templates = templates
            .iter()
            .map(|&(file, source)| parse_file::<Template>(file, source, |t| &t.id))
            .collect::<Result<Vec<_>, _>>()?;
        // The order the "new project" dialog offers them in; the first is the default.
        templates.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
        let strings = Strings::parse(strings)?;
        Ok(Library {
            methods,
            templates,
            strings,
        })
    }

    /// Checks the library as a whole; returns every problem found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<ContentProblem>> {
        let mut problems = Vec::new();
        self.validate_methods(&mut problems);
        self.validate_templates(&mut problems);
        self.validate_strings(&mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.id == id)
    }

    /// The template with this id.
    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// The methods that suit a phase of this kind, in library order.
    pub fn methods_for(&self, kind: PhaseKind) -> impl Iterator<Item = &Method> {
        self.methods.iter().filter(move |m| m.suits(kind))
    }

    fn validate_methods(&self, problems: &mut Vec<ContentProblem>) {
        let mut seen = BTreeSet::new();
        for method in &self.methods {
            let id = || method.id.clone();
            if !seen.insert(method.id.as_str()) {
                problems.push(ContentProblem::DuplicateMethod { id: id() });
            }
            if method.phases.is_empty() {
                problems.push(ContentProblem::MethodWithoutPhases { method: id() });
            }
            if method.duration_minutes == 0 {
                problems.push(ContentProblem::BadMethodNumbers {
                    method: id(),
                    reason: "duration_minutes is 0".to_owned(),
                });
            }
            if method.group_size_max.is_none() {
                problems.push(ContentProblem::MethodWithoutMaxGroup { method: id() });
            }
            if let Some(max) = method.group_size_max
                && max < method.group_size_min
            {
                problems.push(ContentProblem::BadMethodNumbers {
                    method: id(),
                    reason: format!(
                        "group_size_max {max} is below group_size_min {}",
                        method.group_size_min
                    ),
                });
            }
            for lang in [Lang::Nb, Lang::En] {
                if !method.texts.contains_key(&lang) {
                    problems.push(ContentProblem::MissingMethodText { method: id(), lang });
                }
            }
            let reference = method.texts.get(&Lang::Nb);
            for (&lang, text) in &method.texts {
                let blank = |s: &String| s.trim().is_empty();
                for (field, empty) in [
                    ("name", blank(&text.name)),
                    ("summary", blank(&text.summary)),
                    ("purpose", blank(&text.purpose)),
                    (
                        "steps",
                        text.steps.is_empty() || text.steps.iter().any(blank),
                    ),
                    ("materials", text.materials.iter().any(blank)),
                ] {
                    if field == "materials" && text.materials.is_empty() {
                        problems
                            .push(ContentProblem::MethodWithoutMaterials { method: id(), lang });
                    }
                    if empty {
                        problems.push(ContentProblem::EmptyMethodText {
                            method: id(),
                            lang,
                            field,
                        });
                    }
                }
                let Some(reference) = reference else { continue };
                for (field, expected, found) in [
                    ("steps", reference.steps.len(), text.steps.len()),
                    ("materials", reference.materials.len(), text.materials.len()),
                ] {
                    if expected != found {
                        problems.push(ContentProblem::ListLengthMismatch {
                            method: id(),
                            lang,
                            field,
                            expected,
                            found,
                        });
                    }
                }
            }
            for tag in &method.tags {
                for lang in Lang::ALL {
                    if !self.strings.has(lang, &format!("tag-{tag}")) {
                        problems.push(ContentProblem::UnknownTag {
                            method: id(),
                            tag: tag.clone(),
                            lang,
                        });
                    }
                }
            }
        }
    }

    fn validate_templates(&self, problems: &mut Vec<ContentProblem>) {
        let mut seen = BTreeSet::new();
        for template in &self.templates {
            if !seen.insert(template.id.as_str()) {
                problems.push(ContentProblem::DuplicateTemplate {
                    id: template.id.clone(),
                });
            }
            TemplateCheck {
                library: self,
                template,
                problems: &mut *problems,
            }
            .run();
        }
    }

    fn validate_strings(&self, problems: &mut Vec<ContentProblem>) {
        // Every language holds exactly bokmål's messages, with the same variables: a
        // translation that drops `$n` or invents `$name` would print wrong text.
        let reference: BTreeSet<&str> = self.strings.keys(Lang::Nb).collect();
        for lang in Lang::ALL {
            let here: BTreeSet<&str> = self.strings.keys(lang).collect();
            for key in reference.difference(&here) {
                problems.push(ContentProblem::MissingString {
                    key: (*key).to_owned(),
                    lang,
                });
            }
            for key in here.difference(&reference) {
                problems.push(ContentProblem::MissingString {
                    key: (*key).to_owned(),
                    lang: Lang::Nb,
                });
            }
            for key in here.intersection(&reference) {
                let expected = self.strings.variables(Lang::Nb, key);
                let found = self.strings.variables(lang, key);
                if expected != found {
                    let names = |v: Option<&BTreeSet<String>>| {
                        v.map(|v| v.iter().map(|n| format!("${n}")).collect::<Vec<_>>())
                            .unwrap_or_default()
                            .join(", ")
                    };
                    problems.push(ContentProblem::StringVariablesDiffer {
                        key: (*key).to_owned(),
                        lang,
                        expected: names(expected),
                        found: names(found),
                    });
                }
            }
        }
        // The labels an export needs, the phase kinds and the tags methods use.
        let mut required: BTreeSet<String> = EXPORT_KEYS.iter().map(|&k| k.to_owned()).collect();
        required.extend(PhaseKind::ALL.iter().map(|k| format!("phase-kind-{k}")));
        for key in required {
            if !reference.contains(key.as_str()) {
                problems.push(ContentProblem::MissingString {
                    key,
                    lang: Lang::Nb,
                });
            }
        }
    }
}

/// The longest stretch of a template gathering's agenda without a break.
const MAX_MINUTES_WITHOUT_BREAK: u32 = 240;

/// Validation of one template, with the context every problem needs.
struct TemplateCheck<'a> {
    library: &'a Library,
    template: &'a Template,
    problems: &'a mut Vec<ContentProblem>,
}

impl TemplateCheck<'_> {
    fn run(&mut self) {
        let t = self.template;
        if t.languages.is_empty() {
            self.problems
                .push(ContentProblem::TemplateWithoutLanguages {
                    template: t.id.clone(),
                });
        }
        if t.phases.is_empty() {
            self.problems.push(ContentProblem::TemplateWithoutPhases {
                template: t.id.clone(),
            });
        }
        self.text("name", &t.name);
        self.text("description", &t.description);

        let mut phase_ids = BTreeSet::new();
        for phase in &t.phases {
            if !phase_ids.insert(phase.id.as_str()) {
                self.problems.push(ContentProblem::DuplicatePhase {
                    template: t.id.clone(),
                    phase: phase.id.clone(),
                });
            }
            let at = format!("phase {:?}", phase.id);
            self.text(&format!("{at} name"), &phase.name);
            self.text(&format!("{at} guide"), &phase.guide);
            self.text(&format!("{at} read_more"), &phase.read_more);
            for (i, task) in phase.tasks.iter().enumerate() {
                self.text(&format!("{at} task {}", i + 1), task);
            }
            for (i, item) in phase.checklist.iter().enumerate() {
                self.text(&format!("{at} checklist item {}", i + 1), item);
            }
            for method in &phase.methods {
                self.method(&at, method);
            }
        }

        for (g, gathering) in t.gatherings.iter().enumerate() {
            let at = format!("gathering {}", g + 1);
            self.text(&format!("{at} title"), &gathering.title);
            // Four hours is as long as a room can work without a pause.
            let mut since_break = 0;
            for (i, item) in gathering.agenda.iter().enumerate() {
                let item_at = format!("{at} agenda item {}", i + 1);
                self.text(&item_at, &item.title);
                if let Some(method) = &item.method {
                    self.method(&item_at, method);
                }
                since_break = if item.is_break {
                    0
                } else {
                    since_break + item.minutes
                };
                if since_break > MAX_MINUTES_WITHOUT_BREAK {
                    self.problems.push(ContentProblem::AgendaWithoutBreak {
                        template: t.id.clone(),
                        place: item_at,
                        minutes: since_break,
                    });
                    since_break = 0;
                }
            }
            for (i, work) in gathering.between_work.iter().enumerate() {
                self.text(&format!("{at} between-work {}", i + 1), work);
            }
        }
    }

    /// Every text must exist in every language the template lists.
    fn text(&mut self, place: &str, text: &Localized) {
        for &lang in &self.template.languages {
            if !text.has(lang) {
                self.problems.push(ContentProblem::MissingTemplateText {
                    template: self.template.id.clone(),
                    place: place.to_owned(),
                    lang,
                });
            }
        }
    }

    fn method(&mut self, place: &str, id: &str) {
        if self.library.method(id).is_none() {
            self.problems.push(ContentProblem::DanglingMethod {
                template: self.template.id.clone(),
                place: place.to_owned(),
                method: id.to_owned(),
            });
        }
    }
}

/// Parses one method or template file and checks that its id matches the file name.
fn parse_file<T: serde::de::DeserializeOwned>(
    file: &str,
    source: &str,
    id: impl Fn(&T) -> &String,
) -> Result<T, ContentError> {
    let item: T = toml::from_str(source).map_err(|e| ContentError::Toml {
        file: file.to_owned(),
        source: Box::new(e),
    })?;
    let stem = file.strip_suffix(".toml").unwrap_or(file);
    if id(&item) != stem {
        return Err(ContentError::IdMismatch {
            file: file.to_owned(),
            id: id(&item).clone(),
        });
    }
    Ok(item)
}

/// The compiled-in library, parsed on first use.
pub fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        // The compiled-in content is fixed at build time, and the unit tests below parse
        // and validate exactly these files, so a failure here cannot reach a release.
        #[allow(clippy::expect_used)]
        Library::parse(files::METHOD_FILES, files::TEMPLATE_FILES, STRINGS_FILES)
            .expect("compiled-in content parses (checked by content::tests)") // ok: validated by tests
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- the compiled-in library -----

    #[test]
    fn compiled_in_library_validates_cleanly() {
        if let Err(problems) = library().validate() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("content problems:\n{}", list.join("\n"));
        }
    }

    #[test]
    fn library_holds_at_least_twenty_methods_including_the_required_ones() {
        let lib = library();
        assert!(
            lib.methods.len() >= 20,
            "only {} methods",
            lib.methods.len()
        );
        for id in [
            "six-thinking-hats",
            "igp",
            "appreciative-inquiry",
            "pair-coaching",
            "action-learning",
            "gathering-evaluation",
        ] {
            assert!(lib.method(id).is_some(), "method {id} is missing");
        }
    }

    #[test]
    fn every_phase_kind_has_suggested_methods() {
        for kind in PhaseKind::ALL {
            assert!(library().methods_for(kind).count() >= 3, "{kind}");
        }
    }

    #[test]
    fn the_three_templates_exist_with_their_phases_and_languages() {
        let lib = library();
        let four = lib.template("four-phase").expect("four-phase");
        let ids: Vec<&str> = four.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["oppstart", "planlegging", "gjennomforing", "evaluering"]
        );
        let kinds: Vec<PhaseKind> = four.phases.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, PhaseKind::ALL);
        assert_eq!(four.default_language(), Lang::Nb);

        let programme = lib.template("gathering-programme").expect("programme");
        assert_eq!(programme.phases.len(), 4);
        assert!((4..=5).contains(&programme.gatherings.len()));
        for gathering in &programme.gatherings {
            assert!(!gathering.agenda.is_empty());
            assert!(!gathering.between_work.is_empty() || gathering.agenda.len() > 1);
        }

        let danish = lib.template("samskabt-styring").expect("samskabt-styring");
        assert_eq!(danish.default_language(), Lang::Da);
        let ids: Vec<&str> = danish.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["trin-1", "trin-2", "trin-3", "trin-4", "trin-5", "trin-6"]
        );
        assert!(lib.templates.len() >= 5);
    }

    #[test]
    fn the_four_phase_template_has_guides_tasks_and_checklists() {
        let four = library().template("four-phase").expect("four-phase");
        for phase in &four.phases {
            assert!((4..=7).contains(&phase.tasks.len()), "{}", phase.id);
            assert!((4..=7).contains(&phase.checklist.len()), "{}", phase.id);
            assert!(!phase.methods.is_empty(), "{}", phase.id);
            assert!(phase.read_more.get(Lang::Nb).len() > phase.guide.get(Lang::Nb).len());
        }
    }

    #[test]
    fn method_steps_stay_between_three_and_eight() {
        for method in &library().methods {
            for (lang, text) in &method.texts {
                let n = text.steps.len();
                assert!((3..=8).contains(&n), "{} [{lang}] has {n} steps", method.id);
            }
        }
    }

    // ----- small libraries built inline, to prove each check can fail -----

    const METHOD_A: &str = r#"
id = "a"
phases = ["oppstart"]
tags = ["x"]
duration_minutes = 10
group_size_min = 2
group_size_max = 30

[nb]
name = "A"
summary = "Kort."
purpose = "Fordi."
steps = ["En", "To", "Tre"]
materials = ["Penn"]

[en]
name = "A"
summary = "Short."
purpose = "Because."
steps = ["One", "Two", "Three"]
materials = ["Pen"]
"#;

    const TEMPLATE_T: &str = r#"
id = "t"
languages = ["nb", "en"]
name = { nb = "Mal", en = "Template" }
description = { nb = "Beskrivelse", en = "Description" }

[[phases]]
id = "p1"
kind = "oppstart"
methods = ["a"]
name = { nb = "Fase", en = "Phase" }
guide = { nb = "Veiledning", en = "Guide" }
read_more = { nb = "Mer", en = "More" }
tasks = [{ nb = "Oppgave", en = "Task" }]
checklist = [{ nb = "Punkt", en = "Item" }]

[[gatherings]]
title = { nb = "Samling", en = "Gathering" }
agenda = [{ title = { nb = "Innsjekk", en = "Check-in" }, minutes = 10, method = "a" }]
between_work = [{ nb = "Prøv", en = "Try" }]
"#;

    /// Strings files (nb, en, da) with every required message, plus `extra(lang)`
    /// lines appended to each language's file.
    fn strings_with(extra: impl Fn(Lang) -> String) -> Vec<(String, String)> {
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let mut out = format!("tag-x = x-{lang}\n");
                for key in EXPORT_KEYS {
                    out.push_str(&format!("{key} = {key}-{lang}\n"));
                }
                for kind in PhaseKind::ALL {
                    out.push_str(&format!("phase-kind-{kind} = {kind}\n"));
                }
                out.push_str(&extra(lang));
                out.push('\n');
                (format!("{lang}.ftl"), out)
            })
            .collect()
    }

    fn strings() -> Vec<(String, String)> {
        strings_with(|_| String::new())
    }

    fn refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
        files
            .iter()
            .map(|(f, s)| (f.as_str(), s.as_str()))
            .collect()
    }

    fn problems(
        methods: &[(&str, &str)],
        templates: &[(&str, &str)],
        strings: &[(String, String)],
    ) -> Vec<ContentProblem> {
        let lib = Library::parse(methods, templates, &refs(strings)).expect("fixture parses");
        lib.validate().err().unwrap_or_default()
    }

    #[test]
    fn the_small_fixture_is_clean() {
        // Guards the tests below: each of them fails only because of its one change.
        assert_eq!(
            problems(
                &[("a.toml", METHOD_A)],
                &[("t.toml", TEMPLATE_T)],
                &strings()
            ),
            []
        );
    }

    #[test]
    fn a_duplicate_method_id_is_found() {
        let found = problems(
            &[("a.toml", METHOD_A), ("a.toml", METHOD_A)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(found, [ContentProblem::DuplicateMethod { id: "a".into() }]);
    }

    #[test]
    fn a_duplicate_template_id_is_found() {
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", TEMPLATE_T), ("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::DuplicateTemplate { id: "t".into() }]
        );
    }

    #[test]
    fn a_duplicate_phase_id_is_found() {
        let second_phase = r#"
[[phases]]
id = "p1"
kind = "evaluering"
name = { nb = "Fase", en = "Phase" }
guide = { nb = "Veiledning", en = "Guide" }
"#;
        // Appending after [[gatherings]] is fine: [[phases]] starts a new array entry.
        let template = format!("{TEMPLATE_T}{second_phase}");
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", &template)],
            &strings(),
        );
        assert!(found.contains(&ContentProblem::DuplicatePhase {
            template: "t".into(),
            phase: "p1".into()
        }));
    }

    #[test]
    fn a_method_without_english_is_found() {
        let (nb_only, _) = METHOD_A.split_once("[en]").expect("fixture has [en]");
        let found = problems(
            &[("a.toml", nb_only)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::MissingMethodText {
                method: "a".into(),
                lang: Lang::En
            }]
        );
    }

    #[test]
    fn an_empty_method_text_is_found() {
        let method = METHOD_A.replace("summary = \"Short.\"", "summary = \" \"");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::EmptyMethodText {
                method: "a".into(),
                lang: Lang::En,
                field: "summary"
            }]
        );
    }

    #[test]
    fn steps_that_differ_in_number_between_languages_are_found() {
        let method = METHOD_A.replace("\"Two\", ", "");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::ListLengthMismatch {
                method: "a".into(),
                lang: Lang::En,
                field: "steps",
                expected: 3,
                found: 2
            }]
        );
    }

    #[test]
    fn a_method_without_a_largest_group_is_found() {
        let method = METHOD_A.replace("group_size_max = 30\n", "");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::MethodWithoutMaxGroup { method: "a".into() }]
        );
    }

    #[test]
    fn a_method_without_materials_is_found() {
        let method = METHOD_A.replace("materials = [\"Pen\"]\n", "");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert!(found.contains(&ContentProblem::MethodWithoutMaterials {
            method: "a".into(),
            lang: Lang::En
        }));
    }

    #[test]
    fn an_agenda_over_four_hours_without_a_break_is_found_and_a_lunch_mends_it() {
        let item = |minutes: u32, extra: &str| {
            format!(
                "{{ title = {{ nb = \"Økt\", en = \"Session\" }}, minutes = {minutes}{extra} }}"
            )
        };
        let with = |items: &[String]| {
            TEMPLATE_T.replace(
                "agenda = [{ title = { nb = \"Innsjekk\", en = \"Check-in\" }, minutes = 10, method = \"a\" }]",
                &format!("agenda = [{}]", items.join(", ")),
            )
        };
        let long = with(&[item(120, ""), item(90, ""), item(60, "")]);
        let found = problems(&[("a.toml", METHOD_A)], &[("t.toml", &long)], &strings());
        assert_eq!(
            found,
            [ContentProblem::AgendaWithoutBreak {
                template: "t".into(),
                place: "gathering 1 agenda item 3".into(),
                minutes: 270
            }]
        );
        let lunch = with(&[
            item(120, ""),
            item(45, ", break = true"),
            item(90, ""),
            item(60, ""),
        ]);
        let found = problems(&[("a.toml", METHOD_A)], &[("t.toml", &lunch)], &strings());
        assert_eq!(found, []);
    }

    #[test]
    fn a_method_that_suits_no_phase_is_found() {
        let method = METHOD_A.replace("phases = [\"oppstart\"]", "phases = []");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::MethodWithoutPhases { method: "a".into() }]
        );
    }

    #[test]
    fn an_unknown_tag_is_found() {
        let method = METHOD_A.replace("tags = [\"x\"]", "tags = [\"x\", \"nope\"]");
        let found = problems(
            &[("a.toml", &method)],
            &[("t.toml", TEMPLATE_T)],
            &strings(),
        );
        assert!(found.contains(&ContentProblem::UnknownTag {
            method: "a".into(),
            tag: "nope".into(),
            lang: Lang::Nb
        }));
        assert!(found.contains(&ContentProblem::UnknownTag {
            method: "a".into(),
            tag: "nope".into(),
            lang: Lang::En
        }));
    }

    #[test]
    fn a_missing_template_translation_is_found() {
        let template = TEMPLATE_T.replace(
            "guide = { nb = \"Veiledning\", en = \"Guide\" }",
            "guide = { nb = \"Veiledning\" }",
        );
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", &template)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::MissingTemplateText {
                template: "t".into(),
                place: "phase \"p1\" guide".into(),
                lang: Lang::En
            }]
        );
    }

    #[test]
    fn a_danish_template_must_be_written_in_danish() {
        let template = TEMPLATE_T.replace("languages = [\"nb\", \"en\"]", "languages = [\"da\"]");
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", &template)],
            &strings(),
        );
        assert!(found.contains(&ContentProblem::MissingTemplateText {
            template: "t".into(),
            place: "name".into(),
            lang: Lang::Da
        }));
    }

    #[test]
    fn a_dangling_method_reference_in_a_phase_is_found() {
        let template = TEMPLATE_T.replace("methods = [\"a\"]", "methods = [\"a\", \"ghost\"]");
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", &template)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::DanglingMethod {
                template: "t".into(),
                place: "phase \"p1\"".into(),
                method: "ghost".into()
            }]
        );
    }

    #[test]
    fn a_dangling_method_reference_in_an_agenda_is_found() {
        let template = TEMPLATE_T.replace("method = \"a\"", "method = \"ghost\"");
        let found = problems(
            &[("a.toml", METHOD_A)],
            &[("t.toml", &template)],
            &strings(),
        );
        assert_eq!(
            found,
            [ContentProblem::DanglingMethod {
                template: "t".into(),
                place: "gathering 1 agenda item 1".into(),
                method: "ghost".into()
            }]
        );
    }

    #[test]
    fn a_ui_string_missing_in_english_and_danish_is_found() {
        let strings = strings_with(|lang| {
            if lang == Lang::Nb {
                "app-title = Samspill".to_owned()
            } else {
                String::new()
            }
        });
        let found = problems(&[("a.toml", METHOD_A)], &[("t.toml", TEMPLATE_T)], &strings);
        assert_eq!(
            found,
            [
                ContentProblem::MissingString {
                    key: "app-title".into(),
                    lang: Lang::En
                },
                ContentProblem::MissingString {
                    key: "app-title".into(),
                    lang: Lang::Da
                }
            ]
        );
    }

    #[test]
    fn an_export_label_missing_in_danish_is_found() {
        let mut strings = strings();
        for (file, source) in &mut strings {
            if file == "da.ftl" {
                *source = source.replace("export-phase = export-phase-da\n", "");
            }
        }
        let found = problems(&[("a.toml", METHOD_A)], &[("t.toml", TEMPLATE_T)], &strings);
        assert_eq!(
            found,
            [ContentProblem::MissingString {
                key: "export-phase".into(),
                lang: Lang::Da
            }]
        );
    }

    #[test]
    fn a_danish_string_must_exist_and_use_the_same_variables() {
        let strings = strings_with(|lang| match lang {
            Lang::Da => "extra = { $count } ting".to_owned(),
            Lang::En => "extra = { $n } things\nsecond = Two".to_owned(),
            Lang::Nb => {
                "extra = { $n ->\n    [one] én ting\n   *[other] { $n } ting\n}\nsecond = To"
                    .to_owned()
            }
        });
        let found = problems(&[("a.toml", METHOD_A)], &[("t.toml", TEMPLATE_T)], &strings);
        assert_eq!(
            found,
            [
                ContentProblem::MissingString {
                    key: "second".into(),
                    lang: Lang::Da
                },
                ContentProblem::StringVariablesDiffer {
                    key: "extra".into(),
                    lang: Lang::Da,
                    expected: "$n".into(),
                    found: "$count".into(),
                }
            ]
        );
    }

    #[test]
    fn plural_forms_follow_each_languages_rules() {
        let files = [
            (
                "nb.ftl",
                "n = { $n ->\n    [one] { $n } metode\n   *[other] { $n } metoder\n}\n",
            ),
            (
                "en.ftl",
                "n = { $n ->\n    [one] { $n } method\n   *[other] { $n } methods\n}\n",
            ),
        ];
        let strings = Strings::parse(&files).expect("parses");
        let n = |lang, n: usize| strings.format(lang, "n", &[("n", n.into())]);
        assert_eq!(n(Lang::Nb, 1), "1 metode");
        assert_eq!(n(Lang::Nb, 0), "0 metoder");
        assert_eq!(n(Lang::Nb, 49), "49 metoder");
        assert_eq!(n(Lang::En, 1), "1 method");
        // Danish has no file here: it falls back to English.
        assert_eq!(n(Lang::Da, 2), "2 methods");
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let method = METHOD_A.replace("phases = [\"oppstart\"]", "phases = []");
        let template = TEMPLATE_T.replace("method = \"a\"", "method = \"ghost\"");
        let found = problems(&[("a.toml", &method)], &[("t.toml", &template)], &strings());
        assert_eq!(found.len(), 2, "{found:?}");
    }

    // ----- parsing -----

    #[test]
    fn a_parse_error_names_the_file() {
        let broken = METHOD_A.replace("duration_minutes = 10", "duration_minutes = \"ten\"");
        let err =
            Library::parse(&[("a.toml", &broken)], &[], &refs(&strings())).expect_err("fails");
        let message = err.to_string();
        assert!(message.contains("a.toml"), "{message}");
        assert!(message.contains("duration_minutes"), "{message}");
    }

    #[test]
    fn a_misspelt_field_is_a_parse_error() {
        let broken = METHOD_A.replace(
            "purpose = \"Because.\"",
            "purpose = \"Because.\"\npurpse = \"x\"",
        );
        let err =
            Library::parse(&[("a.toml", &broken)], &[], &refs(&strings())).expect_err("fails");
        assert!(err.to_string().contains("purpse"), "{err}");
    }

    #[test]
    fn an_id_that_differs_from_the_file_name_is_a_parse_error() {
        let err =
            Library::parse(&[("b.toml", METHOD_A)], &[], &refs(&strings())).expect_err("fails");
        assert!(matches!(err, ContentError::IdMismatch { .. }), "{err}");
    }

    #[test]
    fn broken_fluent_is_a_parse_error_naming_the_file_and_line() {
        let err = Strings::parse(&[("ui/nb.ftl", "ok = Ja\nbroken = { $n\n")]).expect_err("fails");
        let message = err.to_string();
        assert!(message.contains("ui/nb.ftl"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn a_message_defined_twice_is_a_parse_error() {
        let err = Strings::parse(&[("nb.ftl", "a = En\na = To\n")]).expect_err("fails");
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn an_unknown_language_in_strings_is_a_parse_error() {
        let err = Strings::parse(&[("sv.ftl", "a = b\n")]).expect_err("fails");
        assert!(err.to_string().contains("sv"), "{err}");
    }

    // ----- lookups and fallbacks -----

    #[test]
    fn localized_text_falls_back_to_english_then_bokmal_then_empty() {
        let both = Localized::from([(Lang::Nb, "Hei"), (Lang::En, "Hello")]);
        assert_eq!(both.get(Lang::Nb), "Hei");
        assert_eq!(both.get(Lang::Da), "Hello");
        let nb_only = Localized::from([(Lang::Nb, "Hei")]);
        assert_eq!(nb_only.get(Lang::Da), "Hei");
        let da_only = Localized::from([(Lang::Da, "Hej")]);
        assert_eq!(da_only.get(Lang::En), "Hej");
        assert_eq!(Localized::default().get(Lang::En), "");
    }

    #[test]
    fn strings_fall_back_to_english_then_bokmal_then_the_key() {
        let lib = library();
        assert_eq!(lib.strings.get(Lang::Da, "export-phase"), "Fase");
        assert_eq!(lib.strings.get(Lang::En, "export-phase"), "Phase");
        assert_eq!(lib.strings.get(Lang::Da, "common-cancel"), "Annuller");
        assert_eq!(lib.strings.get(Lang::Nb, "no-such-key"), "no-such-key");
    }

    #[test]
    fn method_texts_fall_back_and_phase_filters_work() {
        let igp = library().method("igp").expect("igp");
        assert_eq!(igp.text(Lang::Da), igp.text(Lang::En));
        assert!(!igp.name(Lang::Nb).is_empty());
        assert!(
            library()
                .methods_for(PhaseKind::Evaluering)
                .any(|m| m.id == "gathering-evaluation")
        );
        assert!(
            library()
                .methods_for(PhaseKind::Oppstart)
                .all(|m| m.suits(PhaseKind::Oppstart))
        );
    }

    #[test]
    fn languages_and_phase_kinds_round_trip_through_text_and_serde() {
        for lang in Lang::ALL {
            assert_eq!(lang.code().parse::<Lang>(), Ok(lang));
            assert_eq!(lang.to_string(), lang.code());
            assert_eq!(
                serde_json::to_string(&lang).expect("json"),
                format!("\"{lang}\"")
            );
        }
        assert!("sv".parse::<Lang>().is_err());
        for (i, kind) in PhaseKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.to_string().parse::<PhaseKind>(), Ok(kind));
            assert_eq!(usize::from(kind.number()), i + 1);
            let json = serde_json::to_string(&kind).expect("json");
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert_eq!(
            "Gjennomføring".parse::<PhaseKind>(),
            Ok(PhaseKind::Gjennomforing)
        );
    }

    #[test]
    fn a_method_survives_a_json_round_trip() {
        let igp = library().method("igp").expect("igp");
        let json = serde_json::to_string(igp).expect("serializes");
        let back: Method = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(&back, igp);
    }
}
