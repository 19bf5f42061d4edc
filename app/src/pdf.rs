//! A small PDF writer for print-ready exports: A4 pages, Helvetica (regular and bold,
//! two of the standard fonts every PDF reader has, so nothing is embedded), text in
//! Windows-1252 (which covers Norwegian and Danish letters), wrapped paragraphs, tables
//! and check boxes, with page numbers in the footer.
//!
//! Written here rather than pulled in as a dependency because the exports need only
//! this much, and the output stays small, readable and deterministic.

use std::fmt::Write as _;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = 64.0;

/// Helvetica's advance widths (thousandths of the font size) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold's advance widths for ASCII 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// A character in Windows-1252, or `?` when it has no place there.
fn cp1252(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        _ => b'?',
    }
}

fn char_width(c: char, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let w = match c {
        ' '..='~' => table[(c as usize) - 32],
        'Æ' | 'æ' if bold => 1000,
        'Æ' => 1000,
        'æ' => 889,
        'Ø' => 778,
        'ø' => 611,
        'Å' => 667,
        'å' => 556,
        '—' | '…' => 1000,
        _ => 556,
    };
    f32::from(w) / 1000.0
}

/// The width of `s` in points at `size`.
pub fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    s.chars().map(|c| char_width(c, bold)).sum::<f32>() * size
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

/// The content-stream operators that show `s` at (x, y).
fn text_op(x: f32, y: f32, size: f32, bold: bool, s: &str, grey: bool) -> Vec<u8> {
    let font = if bold { "F2" } else { "F1" };
    let colour = if grey {
        "0.35 0.42 0.41 rg"
    } else {
        "0.11 0.16 0.16 rg"
    };
    let mut out = format!("BT {colour} /{font} {size:.1} Tf {x:.2} {y:.2} Td (").into_bytes();
    for c in s.chars() {
        match cp1252(c) {
            b'(' => out.extend_from_slice(b"\\("),
            b')' => out.extend_from_slice(b"\\)"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b => out.push(b),
        }
    }
    out.extend_from_slice(b") Tj ET\n");
    out
}

/// Pages being laid out, top to bottom.
pub struct PdfWriter {
    pages: Vec<Vec<u8>>,
    y: f32,
    footer: String,
}

impl PdfWriter {
    /// A new document; `footer` is printed at the bottom of every page with its number.
    pub fn new(footer: &str) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: PAGE_H - MARGIN,
            footer: footer.to_owned(),
        }
    }

    pub fn content_width() -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    fn page(&mut self) -> &mut Vec<u8> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Vec::new());
            self.y = PAGE_H - MARGIN;
        }
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    fn raw_text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str, grey: bool) {
        let op = text_op(x, y, size, bold, s, grey);
        self.page().extend_from_slice(&op);
    }

    /// A wrapped paragraph at indent `x` from the left margin.
    pub fn paragraph(&mut self, s: &str, size: f32, bold: bool, indent: f32) {
        let lead = size * 1.35;
        for line in wrap(s, size, bold, Self::content_width() - indent) {
            self.ensure(lead);
            self.y -= lead;
            self.raw_text(
                MARGIN + indent,
                self.y + size * 0.3,
                size,
                bold,
                &line,
                false,
            );
        }
    }

    /// A heading with a rule under it.
    pub fn heading(&mut self, s: &str, size: f32, rule: bool) {
        self.ensure(size * 3.0);
        self.gap(size * 0.6);
        self.paragraph(s, size, true, 0.0);
        if rule {
            let y = self.y - 3.0;
            let line = format!(
                "0.18 0.49 0.43 RG 0.8 w {MARGIN:.2} {y:.2} m {:.2} {y:.2} l S\n",
                PAGE_W - MARGIN
            );
            self.page().extend_from_slice(line.as_bytes());
            self.gap(6.0);
        }
    }

    /// A check box item: the box, the text, and a grey detail after it.
    pub fn check(&mut self, done: bool, text: &str, detail: &str, size: f32) {
        let lead = size * 1.35;
        let lines = wrap(text, size, false, Self::content_width() - 18.0);
        self.ensure(lead * lines.len() as f32 + 2.0);
        let top = self.y - lead;
        let (bx, by, side) = (MARGIN + 1.0, top + 1.0, size * 0.8);
        let mut ops = format!("0.3 0.3 0.3 RG 0.7 w {bx:.2} {by:.2} {side:.2} {side:.2} re S\n");
        if done {
            let _ = writeln!(
                ops,
                "0.18 0.49 0.43 RG 1.4 w {:.2} {:.2} m {:.2} {:.2} l {:.2} {:.2} l S",
                bx + 1.5,
                by + side * 0.5,
                bx + side * 0.4,
                by + 1.5,
                bx + side + 1.0,
                by + side + 1.5
            );
        }
        self.page().extend_from_slice(ops.as_bytes());
        for line in lines {
            self.y -= lead;
            self.raw_text(
                MARGIN + 18.0,
                self.y + size * 0.3,
                size,
                false,
                &line,
                false,
            );
        }
        if !detail.is_empty() {
            for line in wrap(detail, size - 1.5, false, Self::content_width() - 18.0) {
                self.ensure(lead);
                self.y -= lead * 0.9;
                self.raw_text(
                    MARGIN + 18.0,
                    self.y + size * 0.3,
                    size - 1.5,
                    false,
                    &line,
                    true,
                );
            }
        }
        self.gap(2.0);
    }

    /// Label: value lines.
    pub fn fields(&mut self, fields: &[(String, String)], size: f32) {
        let label_w = fields
            .iter()
            .map(|(k, _)| text_width(k, size, true))
            .fold(0.0, f32::max)
            + 12.0;
        let lead = size * 1.35;
        for (k, v) in fields {
            let lines = wrap(v, size, false, Self::content_width() - label_w);
            self.ensure(lead * lines.len().max(1) as f32);
            self.y -= lead;
            self.raw_text(MARGIN, self.y + size * 0.3, size, true, k, false);
            let mut first = true;
            for line in lines {
                if !first {
                    self.y -= lead;
                }
                first = false;
                self.raw_text(
                    MARGIN + label_w,
                    self.y + size * 0.3,
                    size,
                    false,
                    &line,
                    false,
                );
            }
        }
        self.gap(4.0);
    }

    /// A table with a shaded header row; `widths` are fractions of the content width.
    pub fn table(&mut self, head: &[String], rows: &[Vec<String>], widths: &[f32], size: f32) {
        let total = Self::content_width();
        let cols: Vec<f32> = widths.iter().map(|w| w * total).collect();
        let lead = size * 1.3;
        let pad = 3.0;
        let draw_row = |w: &mut Self, cells: &[String], header: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&cols)
                .map(|(c, cw)| wrap(c, size, header, cw - 2.0 * pad))
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = n as f32 * lead + 2.0 * pad;
            w.ensure(h);
            let top = w.y;
            let bottom = top - h;
            let mut ops = String::new();
            if header {
                let _ = writeln!(
                    ops,
                    "0.92 0.95 0.95 rg {MARGIN:.2} {bottom:.2} {total:.2} {h:.2} re f"
                );
            }
            let _ = writeln!(
                ops,
                "0.81 0.88 0.86 RG 0.6 w {MARGIN:.2} {bottom:.2} {total:.2} {h:.2} re S"
            );
            let mut x = MARGIN;
            for cw in &cols[..cols.len().saturating_sub(1)] {
                x += cw;
                let _ = writeln!(ops, "{x:.2} {bottom:.2} m {x:.2} {top:.2} l S");
            }
            w.page().extend_from_slice(ops.as_bytes());
            let mut x = MARGIN;
            for (lines, cw) in wrapped.iter().zip(&cols) {
                let mut y = top - pad;
                for line in lines {
                    y -= lead;
                    w.raw_text(x + pad, y + size * 0.3, size, header, line, false);
                }
                x += cw;
            }
            w.y = bottom;
        };
        draw_row(self, head, true);
        for row in rows {
            draw_row(self, row, false);
        }
        self.gap(8.0);
    }

    /// The finished PDF file.
    pub fn finish(mut self) -> Vec<u8> {
        let n = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = format!("{}  ·  {}/{n}", self.footer, i + 1);
            let size = 8.0;
            let x = PAGE_W - MARGIN - text_width(&text, size, false);
            page.extend_from_slice(&text_op(x, 32.0, size, false, &text, true));
        }

        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            let id = offsets.len();
            out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        // 1 catalog, 2 pages, 3 and 4 fonts, then (page, content) pairs.
        obj(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
        obj(
            &mut out,
            format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).as_bytes(),
        );
        obj(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        );
        obj(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
        for (i, content) in self.pages.iter().enumerate() {
            let page = format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            );
            obj(&mut out, page.as_bytes());
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(content);
            stream.extend_from_slice(b"\nendstream");
            obj(&mut out, &stream);
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
        );
        for off in &offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                offsets.len() + 1
            )
            .as_bytes(),
        );
        out
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
    fn norwegian_letters_and_typographic_dashes_are_in_the_encoding() {
        for (c, b) in [
            ('æ', 0xe6),
            ('ø', 0xf8),
            ('å', 0xe5),
            ('Å', 0xc5),
            ('–', 0x96),
            ('“', 0x93),
        ] {
            assert_eq!(cp1252(c), b);
        }
        assert_eq!(cp1252('☃'), b'?');
    }

    #[test]
    fn a_document_has_a_valid_cross_reference_table() {
        let mut w = PdfWriter::new("Test");
        w.heading("Overskrift (med parentes)", 18.0, true);
        for i in 0..200 {
            w.paragraph(&format!("Linje {i} med æøå"), 10.0, false, 0.0);
        }
        let pdf = w.finish();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(
            text.contains("/Count 4") || text.contains("/Count 5"),
            "several pages"
        );
        assert!(text.contains("(Overskrift \\(med parentes\\)) Tj"));
        // Each xref offset points at the start of its object.
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let table = &text[xref_at..];
        for (i, line) in table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .enumerate()
        {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                text[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
    }
}
