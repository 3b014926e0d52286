//! Printer templates: the layout of each printed document as a data file in
//! `printer-templates/`, so wording changes need no recompiling. One block per line;
//! see `printer-templates/README.md` for the format.

use std::path::{Path, PathBuf};

pub use crate::app::Document;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub document: Document,
    /// The file it came from, for errors found when filling it in.
    pub file: String,
    /// The folder its pictures are read from; the shipped templates have none.
    pub dir: Option<PathBuf>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Line in the template file, for errors found when filling or rendering.
    pub line: usize,
    pub kind: BlockKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    Text(TextBlock),
    /// A text line repeated once per row (settled vouchers, months of a statement).
    Rows(TextBlock),
    Divider,
    /// A QR code of the named field's value.
    Qr(String),
    /// Blank paper, in dots.
    Spacer(u32),
    /// A picture from the templates folder.
    Image(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBlock {
    /// 1, 2 or 3: 24, 48 or 72 dots tall, so body text is at least 3 mm at 203 dpi.
    pub size: u8,
    pub align: Align,
    pub bold: bool,
    pub pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Field(String),
}

/// A broken template: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {message}")]
pub struct TemplateError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl Template {
    /// Loads a document's template from `dir` if a file is there, else the shipped one.
    pub fn load(dir: Option<&Path>, document: Document) -> Result<Template, TemplateError> {
        if let Some(path) = dir.map(|d| d.join(document.file_name())).filter(|p| p.exists()) {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                file: name.clone(),
                line: 0,
                message: format!("cannot be read: {e}"),
            })?;
            let mut template = Template::parse(document, &name, &text)?;
            template.dir = dir.map(Path::to_path_buf);
            return Ok(template);
        }
        Template::parse(document, document.file_name(), document.default_template())
    }

    pub fn parse(document: Document, file: &str, text: &str) -> Result<Template, TemplateError> {
        let mut blocks = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let fail = |message: String| TemplateError {
                file: file.to_string(),
                line,
                message,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (word, rest) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
            let rest = rest.trim();
            let kind = match word {
                "text" => BlockKind::Text(text_block(rest, document.fields()).map_err(fail)?),
                "rows" if document.row_fields().is_empty() => {
                    return Err(fail(format!(
                        "{} has no rows; 'rows' cannot be used here",
                        document.file_name()
                    )))
                }
                "rows" => BlockKind::Rows(text_block(rest, document.row_fields()).map_err(fail)?),
                "divider" if rest.is_empty() => BlockKind::Divider,
                "qr" => match pieces(rest, document.fields()).map_err(fail)?.as_slice() {
                    [Piece::Field(f)] => BlockKind::Qr(f.clone()),
                    _ => return Err(fail("qr takes exactly one field, e.g. qr {qr}".into())),
                },
                "spacer" => match rest.parse::<u32>() {
                    Ok(d) if (1..=400).contains(&d) => BlockKind::Spacer(d),
                    _ => return Err(fail(format!("spacer takes 1 to 400 dots, not '{rest}'"))),
                },
                "image" => {
                    let p = Path::new(rest);
                    let plain = p.components().count() == 1 && rest.ends_with(".png");
                    if !plain {
                        return Err(fail(format!(
                            "image takes a .png file name in the templates folder, not '{rest}'"
                        )));
                    }
                    BlockKind::Image(p.to_path_buf())
                }
                other => {
                    return Err(fail(format!(
                        "unknown block '{other}' (use text, rows, divider, qr, spacer or image)"
                    )))
                }
            };
            blocks.push(Block { line, kind });
        }
        Ok(Template {
            document,
            file: file.to_string(),
            dir: None,
            blocks,
        })
    }
}

impl TextBlock {
    /// The line's text with every field replaced by `value(field)`.
    pub fn fill(&self, mut value: impl FnMut(&str) -> String) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.clone(),
                Piece::Field(f) => value(f),
            })
            .collect()
    }
}

/// Leading options (`size=2`, `align=center`, `bold`), then the words.
fn text_block(rest: &str, fields: &[&str]) -> Result<TextBlock, String> {
    let mut block = TextBlock {
        size: 1,
        align: Align::Left,
        bold: false,
        pieces: Vec::new(),
    };
    let mut words = rest;
    loop {
        let (token, after) = words.split_once(char::is_whitespace).unwrap_or((words, ""));
        match token.split_once('=') {
            Some(("size", v)) => {
                block.size = match v {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    _ => return Err(format!("size must be 1, 2 or 3, not '{v}'")),
                }
            }
            Some(("align", v)) => {
                block.align = match v {
                    "left" => Align::Left,
                    "center" => Align::Center,
                    "right" => Align::Right,
                    _ => return Err(format!("align must be left, center or right, not '{v}'")),
                }
            }
            None if token == "bold" => block.bold = true,
            _ => break,
        }
        words = after.trim_start();
    }
    block.pieces = pieces(words, fields)?;
    if block.pieces.is_empty() {
        return Err("text has no words".into());
    }
    Ok(block)
}

/// Splits `words {field} words` into pieces, checking every field name.
fn pieces(text: &str, fields: &[&str]) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("the field {{{name} is not closed with '}}'")),
                    }
                }
                if !fields.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown field {{{name}}} (this document has: {})",
                        fields.join(", ")
                    ));
                }
                if !literal.is_empty() {
                    out.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                out.push(Piece::Field(name));
            }
            '}' => return Err("a '}' without its '{' (write }} for a brace)".into()),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_template_parses() {
        for d in Document::ALL {
            let t = Template::load(None, d).unwrap_or_else(|e| panic!("{e}"));
            assert!(t.blocks.len() >= 5, "{}", d.file_name());
        }
        let reprint = Template::load(None, Document::Reprint).unwrap();
        let BlockKind::Text(first) = &reprint.blocks[0].kind else {
            panic!()
        };
        assert_eq!((first.size, first.align, first.bold), (3, Align::Center, true));
        assert_eq!(first.fill(|_| String::new()), "重印 REPRINT");
    }

    #[test]
    fn a_voucher_line_fills_its_fields() {
        let t = Template::parse(
            Document::Voucher,
            "v.tpl",
            "text size=2 bold {item} ×{qty} {{{points}}}",
        )
        .unwrap();
        let BlockKind::Text(b) = &t.blocks[0].kind else {
            panic!()
        };
        let filled = b.fill(|f| match f {
            "item" => "面券".into(),
            "qty" => "1".into(),
            "points" => "20".into(),
            _ => "?".into(),
        });
        assert_eq!(filled, "面券 ×1 {20}");
    }

    #[test]
    fn mistakes_name_the_file_the_line_and_the_field() {
        let check = |doc, text: &str, expected: &str| {
            let e = Template::parse(doc, "voucher.tpl", text).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        };
        check(
            Document::Voucher,
            "# c\n\ntext {itme}",
            "voucher.tpl line 3: unknown field {itme}",
        );
        check(Document::Voucher, "text size=4 x", "line 1: size must be 1, 2 or 3");
        check(Document::Voucher, "banner x", "unknown block 'banner'");
        check(Document::Voucher, "rows {serial}", "has no rows");
        check(Document::Settlement, "rows {village}", "unknown field {village}");
        check(Document::Voucher, "qr {serial} {qr}", "exactly one field");
        check(Document::Voucher, "spacer 9000", "1 to 400 dots");
        check(Document::Voucher, "image ../../etc/passwd", "a .png file name");
        check(Document::Voucher, "text 100% }", "without its '{'");
        check(Document::Voucher, "text size=2", "text has no words");
        check(
            Document::Voucher,
            "text 券号 {serial",
            "the field {serial is not closed",
        );
    }

    #[test]
    fn a_file_in_the_folder_replaces_the_shipped_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("voucher.tpl"), "text 本村面馆专用 {serial}\n").unwrap();
        let t = Template::load(Some(dir.path()), Document::Voucher).unwrap();
        assert_eq!(t.blocks.len(), 1);
        std::fs::write(dir.path().join("voucher.tpl"), "text {nope}\n").unwrap();
        let e = Template::load(Some(dir.path()), Document::Voucher).unwrap_err();
        assert!(e.file.ends_with("voucher.tpl") && e.line == 1, "{e}");
    }
}
