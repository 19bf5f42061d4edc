//! Print-ready PDF through `krilla`: A4 pages, Noto Sans (regular and bold, from the
//! `notosans` crate) embedded as subsets, so every name prints as written — Northern
//! Sámi's á č đ ŋ š ŧ ž, Latin Extended, Greek and Cyrillic included — with no lookup of
//! system fonts. Text is measured with the same font's advance widths, so lines wrap
//! where they are drawn.
//!
//! The PDF is tagged: a structure tree of headings (H1–H3), paragraphs, check lists
//! (L, LI, Lbl, LBody), tables (Table, THead, TBody, TR, TH, TD) and label–value pairs
//! (a two-column table with row headers), in reading order, with the document's title
//! and language. Rules, boxes and page numbers are artifacts, so a screen reader skips
//! them. [`PdfWriter::structure`] prints that tree; a golden test keeps it.
//!
//! Layout happens first, into pages of drawing operations (y grows downwards from the
//! top of the page, as in krilla); [`PdfWriter::finish`] then draws them and attaches
//! the tree.

use std::fmt::Write as _;
use std::num::NonZeroU16;
use std::sync::OnceLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, Node, SpanTag, TableHeaderScope,
    Tag, TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, TextDirection};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = 64.0;

const INK: (u8, u8, u8) = (28, 41, 41);
const GREY: (u8, u8, u8) = (89, 107, 105);
const ACCENT: (u8, u8, u8) = (46, 125, 110);
const RULE: (u8, u8, u8) = (207, 224, 219);
const SHADE: (u8, u8, u8) = (235, 242, 242);
const BOX: (u8, u8, u8) = (77, 77, 77);

/// The two faces, parsed once for measuring.
struct Faces {
    regular: rustybuzz::Face<'static>,
    bold: rustybuzz::Face<'static>,
}

fn faces() -> Option<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Some(Faces {
                regular: rustybuzz::Face::from_slice(notosans::REGULAR_TTF, 0)?,
                bold: rustybuzz::Face::from_slice(notosans::BOLD_TTF, 0)?,
            })
        })
        .as_ref()
}

/// The width of `s` in points at `size`, from the font's own advances (a character the
/// font lacks counts as its replacement box).
pub fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    let Some(faces) = faces() else {
        // The fonts are compiled in; should they fail to parse, guess half an em.
        return s.chars().count() as f32 * size * 0.5;
    };
    let face = if bold { &faces.bold } else { &faces.regular };
    let units = f32::from(face.units_per_em().max(1) as u16);
    let advance: u32 = s
        .chars()
        .map(|c| {
            let glyph = face
                .glyph_index(c)
                .unwrap_or(rustybuzz::ttf_parser::GlyphId(0));
            u32::from(face.glyph_hor_advance(glyph).unwrap_or(0))
        })
        .sum();
    advance as f32 / units * size
}

/// Breaks `s` into lines no wider than `width` (a word longer than a line is cut).
pub fn wrap(s: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A single word wider than the line: cut it.
            let mut piece = String::new();
            for c in word.chars() {
                if text_width(&format!("{piece}{c}"), size, bold) > width && !piece.is_empty() {
                    lines.push(std::mem::take(&mut piece));
                }
                piece.push(c);
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// One drawing operation on a page.
enum Draw {
    /// A line of text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        grey: bool,
        text: String,
    },
    /// A straight line.
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        colour: (u8, u8, u8),
    },
    /// A rectangle, filled or outlined.
    Rect {
        rect: (f32, f32, f32, f32),
        fill: Option<(u8, u8, u8)>,
        stroke: Option<((u8, u8, u8), f32)>,
    },
    /// A check box (top-left corner, side), ticked or not.
    CheckBox {
        at: (f32, f32),
        side: f32,
        done: bool,
    },
}

/// A drawing operation and, for content, the leaf of the structure tree it belongs to
/// (`None`: an artifact).
struct Op {
    draw: Draw,
    leaf: Option<usize>,
    /// What the content reads as when it is no text (a check box: "☑" or "☐").
    actual_text: Option<&'static str>,
}

/// The kinds of structure the exports use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Heading(u16),
    Paragraph,
    List,
    ListItem,
    Label,
    ListBody,
    Table,
    TableHead,
    TableBody,
    Row,
    /// A header cell for its column (`true`) or its row (`false`).
    HeaderCell(bool),
    Cell,
}

impl Kind {
    fn name(self) -> String {
        match self {
            Kind::Heading(n) => format!("H{n}"),
            Kind::Paragraph => "P".into(),
            Kind::List => "L".into(),
            Kind::ListItem => "LI".into(),
            Kind::Label => "Lbl".into(),
            Kind::ListBody => "LBody".into(),
            Kind::Table => "Table".into(),
            Kind::TableHead => "THead".into(),
            Kind::TableBody => "TBody".into(),
            Kind::Row => "TR".into(),
            Kind::HeaderCell(true) => "TH(column)".into(),
            Kind::HeaderCell(false) => "TH(row)".into(),
            Kind::Cell => "TD".into(),
        }
    }

    fn tag(self) -> TagKind {
        match self {
            Kind::Heading(n) => Tag::Hn(NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN), None).into(),
            Kind::Paragraph => Tag::P.into(),
            Kind::List => Tag::L(ListNumbering::None).into(),
            Kind::ListItem => Tag::LI.into(),
            Kind::Label => Tag::Lbl.into(),
            Kind::ListBody => Tag::LBody.into(),
            Kind::Table => Tag::Table.into(),
            Kind::TableHead => Tag::THead.into(),
            Kind::TableBody => Tag::TBody.into(),
            Kind::Row => Tag::TR.into(),
            Kind::HeaderCell(true) => Tag::TH(TableHeaderScope::Column).into(),
            Kind::HeaderCell(false) => Tag::TH(TableHeaderScope::Row).into(),
            Kind::Cell => Tag::TD.into(),
        }
    }
}

/// The structure tree as the writer builds it; leaves are indices of content ops.
enum Tree {
    Group(Kind, Vec<Tree>),
    Leaf(usize),
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the PDF's built-in font could not be read")]
    Font,
    #[error("the PDF could not be written ({0})")]
    Write(String),
}

/// Pages being laid out, top to bottom.
pub struct PdfWriter {
    pages: Vec<Vec<Op>>,
    /// Distance of the next line's top from the top of the page.
    y: f32,
    footer: String,
    title: String,
    lang: String,
    tree: Vec<Tree>,
    /// The text of each leaf, for [`PdfWriter::structure`].
    leaves: Vec<String>,
}

impl PdfWriter {
    /// A new document titled `title` in `lang` (a BCP 47 code such as "nb"); `footer` is
    /// printed at the bottom of every page with its number.
    pub fn new(title: &str, lang: &str, footer: &str) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
            footer: footer.to_owned(),
            title: title.to_owned(),
            lang: lang.to_owned(),
            tree: Vec::new(),
            leaves: Vec::new(),
        }
    }

    pub fn content_width() -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > PAGE_H - BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    pub fn gap(&mut self, points: f32) {
        self.y += points;
    }

    /// Decoration: drawn, but no part of what is read.
    fn artifact(&mut self, draw: Draw) {
        self.page().push(Op {
            draw,
            leaf: None,
            actual_text: None,
        });
    }

    /// Content: a leaf of the structure tree.
    fn content(&mut self, draw: Draw, text: &str, actual_text: Option<&'static str>) -> Tree {
        let leaf = self.leaves.len();
        self.leaves.push(text.to_owned());
        self.page().push(Op {
            draw,
            leaf: Some(leaf),
            actual_text,
        });
        Tree::Leaf(leaf)
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, bold: bool, grey: bool, s: &str) -> Tree {
        let draw = Draw::Text {
            x,
            y: baseline,
            size,
            bold,
            grey,
            text: s.to_owned(),
        };
        self.content(draw, s, None)
    }

    /// Wrapped lines at indent `indent`, one leaf each.
    fn lines(&mut self, s: &str, size: f32, bold: bool, grey: bool, indent: f32) -> Vec<Tree> {
        let lead = size * 1.35;
        let mut out = Vec::new();
        for line in wrap(s, size, bold, Self::content_width() - indent) {
            if line.is_empty() {
                self.ensure(lead);
                self.y += lead;
                continue;
            }
            self.ensure(lead);
            self.y += lead;
            let baseline = self.y - size * 0.3;
            out.push(self.text(MARGIN + indent, baseline, size, bold, grey, &line));
        }
        out
    }

    /// A wrapped paragraph at indent `indent` from the left margin.
    pub fn paragraph(&mut self, s: &str, size: f32, bold: bool, indent: f32) {
        let lines = self.lines(s, size, bold, false, indent);
        if !lines.is_empty() {
            self.tree.push(Tree::Group(Kind::Paragraph, lines));
        }
    }

    /// A heading of `level` (1–3), with a rule under it.
    pub fn heading(&mut self, s: &str, level: u16, size: f32, rule: bool) {
        self.ensure(size * 3.0);
        self.gap(size * 0.6);
        let lines = self.lines(s, size, true, false, 0.0);
        if !lines.is_empty() {
            self.tree.push(Tree::Group(Kind::Heading(level), lines));
        }
        if rule {
            let y = self.y + 3.0;
            self.artifact(Draw::Line {
                from: (MARGIN, y),
                to: (PAGE_W - MARGIN, y),
                width: 0.8,
                colour: ACCENT,
            });
            self.gap(6.0);
        }
    }

    /// A check list: each item's box, its text, and a grey detail under it.
    pub fn checklist(&mut self, items: &[(bool, String, String)], size: f32) {
        let lead = size * 1.35;
        let mut list = Vec::new();
        for (done, text, detail) in items {
            let wrapped = wrap(text, size, false, Self::content_width() - 18.0);
            self.ensure(lead * wrapped.len() as f32 + 2.0);
            let side = size * 0.8;
            // The box stands on the first line's baseline.
            let box_top = self.y + lead - size * 0.3 - side + 0.5;
            let label = self.content(
                Draw::CheckBox {
                    at: (MARGIN + 1.0, box_top),
                    side,
                    done: *done,
                },
                if *done { "☑" } else { "☐" },
                Some(if *done { "☑ " } else { "☐ " }),
            );
            let mut body = Vec::new();
            for line in wrapped {
                self.y += lead;
                let baseline = self.y - size * 0.3;
                body.push(self.text(MARGIN + 18.0, baseline, size, false, false, &line));
            }
            if !detail.is_empty() {
                for line in wrap(detail, size - 1.5, false, Self::content_width() - 18.0) {
                    self.ensure(lead);
                    self.y += lead * 0.9;
                    let baseline = self.y - size * 0.3;
                    body.push(self.text(MARGIN + 18.0, baseline, size - 1.5, false, true, &line));
                }
            }
            self.gap(2.0);
            list.push(Tree::Group(
                Kind::ListItem,
                vec![
                    Tree::Group(Kind::Label, vec![label]),
                    Tree::Group(Kind::ListBody, body),
                ],
            ));
        }
        if !list.is_empty() {
            self.tree.push(Tree::Group(Kind::List, list));
        }
    }

    /// Label: value lines (a table of two columns, each label heading its row).
    pub fn fields(&mut self, fields: &[(String, String)], size: f32) {
        let label_w = fields
            .iter()
            .map(|(k, _)| text_width(k, size, true))
            .fold(0.0, f32::max)
            + 12.0;
        let lead = size * 1.35;
        let mut rows = Vec::new();
        for (k, v) in fields {
            let lines = wrap(v, size, false, Self::content_width() - label_w);
            self.ensure(lead * lines.len().max(1) as f32);
            self.y += lead;
            let baseline = self.y - size * 0.3;
            let head = self.text(MARGIN, baseline, size, true, false, k);
            let mut cell = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    self.y += lead;
                }
                if line.is_empty() {
                    continue;
                }
                let baseline = self.y - size * 0.3;
                cell.push(self.text(MARGIN + label_w, baseline, size, false, false, line));
            }
            if cell.is_empty() {
                cell.push(self.text(MARGIN + label_w, baseline, size, false, false, ""));
            }
            rows.push(Tree::Group(
                Kind::Row,
                vec![
                    Tree::Group(Kind::HeaderCell(false), vec![head]),
                    Tree::Group(Kind::Cell, cell),
                ],
            ));
        }
        if !rows.is_empty() {
            self.tree.push(Tree::Group(
                Kind::Table,
                vec![Tree::Group(Kind::TableBody, rows)],
            ));
        }
        self.gap(4.0);
    }

    /// A table with a shaded header row; `widths` are fractions of the content width.
    pub fn table(&mut self, head: &[String], rows: &[Vec<String>], widths: &[f32], size: f32) {
        let total = Self::content_width();
        let cols: Vec<f32> = widths.iter().map(|w| w * total).collect();
        let lead = size * 1.3;
        let pad = 3.0;
        let draw_row = |w: &mut Self, cells: &[String], header: bool| -> Tree {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&cols)
                .map(|(c, cw)| wrap(c, size, header, cw - 2.0 * pad))
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = n as f32 * lead + 2.0 * pad;
            w.ensure(h);
            let top = w.y;
            w.artifact(Draw::Rect {
                rect: (MARGIN, top, total, h),
                fill: header.then_some(SHADE),
                stroke: Some((RULE, 0.6)),
            });
            let mut x = MARGIN;
            for cw in &cols[..cols.len().saturating_sub(1)] {
                x += cw;
                w.artifact(Draw::Line {
                    from: (x, top),
                    to: (x, top + h),
                    width: 0.6,
                    colour: RULE,
                });
            }
            let mut x = MARGIN;
            let mut row = Vec::new();
            for (lines, cw) in wrapped.iter().zip(&cols) {
                let mut y = top + pad;
                let mut cell = Vec::new();
                for line in lines {
                    y += lead;
                    if !line.is_empty() {
                        cell.push(w.text(x + pad, y - size * 0.3, size, header, false, line));
                    }
                }
                if cell.is_empty() {
                    // An empty cell still holds its place, or the columns shift.
                    cell.push(w.text(x + pad, top + pad, size, header, false, ""));
                }
                let kind = if header {
                    Kind::HeaderCell(true)
                } else {
                    Kind::Cell
                };
                row.push(Tree::Group(kind, cell));
                x += cw;
            }
            w.y = top + h;
            Tree::Group(Kind::Row, row)
        };
        let head_row = draw_row(self, head, true);
        let body: Vec<Tree> = rows.iter().map(|r| draw_row(self, r, false)).collect();
        let mut table = vec![Tree::Group(Kind::TableHead, vec![head_row])];
        if !body.is_empty() {
            table.push(Tree::Group(Kind::TableBody, body));
        }
        self.tree.push(Tree::Group(Kind::Table, table));
        self.gap(8.0);
    }

    /// The structure tree in reading order, one node per line, indented by depth, each
    /// leaf with its text: what a screen reader follows.
    pub fn structure(&self) -> String {
        fn walk(out: &mut String, leaves: &[String], nodes: &[Tree], depth: usize) {
            for node in nodes {
                let pad = "  ".repeat(depth);
                match node {
                    Tree::Group(kind, children) => {
                        let _ = writeln!(out, "{pad}{}", kind.name());
                        walk(out, leaves, children, depth + 1);
                    }
                    Tree::Leaf(i) => {
                        let text = leaves.get(*i).map_or("", String::as_str);
                        if text.is_empty() {
                            let _ = writeln!(out, "{pad}(empty)");
                        } else {
                            let _ = writeln!(out, "{pad}“{text}”");
                        }
                    }
                }
            }
        }
        let mut out = format!("Document lang={} title=“{}”\n", self.lang, self.title);
        walk(&mut out, &self.leaves, &self.tree, 1);
        out
    }

    /// The finished PDF file.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        let regular = Font::new(notosans::REGULAR_TTF.into(), 0).ok_or(PdfError::Font)?;
        let bold = Font::new(notosans::BOLD_TTF.into(), 0).ok_or(PdfError::Font)?;
        let settings = krilla::SerializeSettings {
            enable_tagging: true,
            ..Default::default()
        };
        let mut document = Document::new_with(settings);
        let mut ids: Vec<Option<Identifier>> = (0..self.leaves.len()).map(|_| None).collect();
        let n = self.pages.len();
        let page_settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Write("page size".into()))?;
        for (i, ops) in self.pages.iter().enumerate() {
            let mut page = document.start_page_with(page_settings.clone());
            let mut surface = page.surface();
            for op in ops {
                let tag = match op.leaf {
                    Some(_) => ContentTag::Span(SpanTag::empty().with_actual_text(op.actual_text)),
                    None => ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)),
                };
                let id = surface.start_tagged(tag);
                draw(&mut surface, &op.draw, &regular, &bold);
                surface.end_tagged();
                if let Some(slot) = op.leaf.and_then(|leaf| ids.get_mut(leaf)) {
                    *slot = Some(id);
                }
            }
            // The footer: the title and the page number, skipped by screen readers.
            let text = format!("{}  ·  {}/{n}", self.footer, i + 1);
            let size = 8.0;
            let x = PAGE_W - MARGIN - text_width(&text, size, false);
            surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::PageNumber,
            )));
            let footer = Draw::Text {
                x,
                y: PAGE_H - 32.0,
                size,
                bold: false,
                grey: true,
                text,
            };
            draw(&mut surface, &footer, &regular, &bold);
            surface.end_tagged();
            surface.finish();
            page.finish();
        }

        let mut tree = TagTree::new().with_lang(Some(self.lang.clone()));
        for node in self.tree {
            if let Some(node) = to_node(node, &mut ids) {
                tree.push(node);
            }
        }
        document.set_tag_tree(tree);
        document.set_metadata(
            Metadata::new()
                .title(self.title)
                .language(self.lang)
                .creator("Samspill".to_owned()),
        );
        document.finish().map_err(|e| {
            PdfError::Write(match e {
                krilla::error::KrillaError::Font(_, why) => format!("font: {why}"),
                other => format!("{other:?}").chars().take(200).collect(),
            })
        })
    }
}

/// The krilla node for a tree node, each leaf taking its identifier (used once).
fn to_node(tree: Tree, ids: &mut [Option<Identifier>]) -> Option<Node> {
    match tree {
        Tree::Leaf(i) => ids.get_mut(i)?.take().map(Node::from),
        Tree::Group(kind, children) => {
            let mut group = TagGroup::new(kind.tag());
            for child in children {
                if let Some(node) = to_node(child, ids) {
                    group.push(node);
                }
            }
            Some(Node::from(group))
        }
    }
}

fn colour((r, g, b): (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke((r, g, b): (u8, u8, u8), width: f32) -> Stroke {
    Stroke {
        paint: rgb::Color::new(r, g, b).into(),
        width,
        ..Default::default()
    }
}

fn draw(surface: &mut Surface<'_>, op: &Draw, regular: &Font, bold: &Font) {
    match op {
        Draw::Text {
            x,
            y,
            size,
            bold: is_bold,
            grey,
            text,
        } => {
            if text.is_empty() {
                return;
            }
            surface.set_stroke(None);
            surface.set_fill(Some(colour(if *grey { GREY } else { INK })));
            let font = if *is_bold { bold } else { regular };
            surface.draw_text(
                Point::from_xy(*x, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Draw::Line {
            from,
            to,
            width,
            colour: c,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(from.0, from.1);
            pb.line_to(to.0, to.1);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(*c, *width)));
                surface.draw_path(&path);
            }
        }
        Draw::Rect {
            rect: (x, y, w, h),
            fill,
            stroke: outline,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                surface.set_fill(fill.map(colour));
                surface.set_stroke(outline.map(|(c, w)| stroke(c, w)));
                surface.draw_path(&path);
            }
        }
        Draw::CheckBox { at, side, done } => {
            let (x, y) = *at;
            if let Some(rect) = Rect::from_xywh(x, y, *side, *side) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(stroke(BOX, 0.7)));
                    surface.draw_path(&path);
                }
            }
            if *done {
                let mut pb = PathBuilder::new();
                pb.move_to(x + 1.5, y + side * 0.5);
                pb.line_to(x + side * 0.4, y + side - 1.5);
                pb.line_to(x + side + 1.0, y - 1.5);
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(stroke(ACCENT, 1.4)));
                    surface.draw_path(&path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "Samhandling mellom tjenestene i kommunen er målet for hele utviklingsarbeidet";
        let lines = wrap(text, 10.0, false, 120.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, 10.0, false) <= 120.0));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn sami_letters_are_measured_by_the_font_not_guessed() {
        let faces = faces().expect("the built-in fonts parse");
        for c in "áčđŋšŧžÁČĐŊŠŦŽæøåÆØÅ".chars() {
            assert!(faces.regular.glyph_index(c).is_some(), "{c} in regular");
            assert!(faces.bold.glyph_index(c).is_some(), "{c} in bold");
        }
        // An i is narrower than an m, and bold is wider than regular.
        assert!(text_width("i", 10.0, false) < text_width("m", 10.0, false));
        assert!(text_width("Čoavddáš", 10.0, false) < text_width("Čoavddáš", 10.0, true));
    }

    #[test]
    fn a_document_is_a_tagged_pdf_with_its_fonts_embedded() {
        let mut w = PdfWriter::new("Plan (utkast)", "nb", "Plan");
        w.heading("Overskrift (med parentes)", 1, 18.0, true);
        for i in 0..120 {
            w.paragraph(
                &format!("Linje {i}: Ringe Máret Čoavddáš"),
                10.0,
                false,
                0.0,
            );
        }
        w.checklist(
            &[
                (true, "Avtale dato".into(), String::new()),
                (false, "Invitere".into(), "Ansvarlig: Ánne".into()),
            ],
            10.0,
        );
        w.table(
            &["Tid".into(), "Punkt".into()],
            &[vec!["09:00".into(), "Innsjekk".into()]],
            &[0.3, 0.7],
            9.0,
        );
        let structure = w.structure();
        let pdf = w.finish().expect("writes");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/StructTreeRoot"), "tagged");
        assert!(text.contains("/MarkInfo"), "marked");
        assert!(text.contains("/FontFile2"), "embedded TrueType");
        assert!(text.contains("NotoSans"), "the font's name");
        assert!(text.contains("/Lang"), "a language");
        assert!(
            structure.contains("H1\n    “Overskrift (med parentes)”"),
            "{structure}"
        );
        assert!(
            structure.contains("LI\n      Lbl\n        “☐”"),
            "{structure}"
        );
        assert!(
            structure.contains("TH(column)\n          “Tid”"),
            "{structure}"
        );
    }
}
