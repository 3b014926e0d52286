//! A template filled in with a printout's values: the blocks both encodings print, with
//! every field replaced and every picture loaded.

use super::bitmap::Bitmap;
use super::template::{Align, BlockKind, Template, TemplateError, TextBlock};
use crate::app::Printout;

/// One block, ready to draw or to send as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filled {
    Text(Line),
    Divider,
    Qr(String),
    Spacer(u32),
    Image(Bitmap),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub size: u8,
    pub align: Align,
    pub bold: bool,
    pub text: String,
}

/// Fills `template` with `printout`. A text line whose fields are all empty is left out
/// (no sponsor: no "感谢乡贤 … 赞助" line); `rows` lines repeat once per row.
pub fn fill(template: &Template, printout: &Printout) -> Result<Vec<Filled>, TemplateError> {
    let mut out = Vec::new();
    for block in &template.blocks {
        let fail = |message: String| TemplateError {
            file: template.file.clone(),
            line: block.line,
            message,
        };
        let missing = |f: &str| fail(format!("the field {{{f}}} has no value in this printout"));
        match &block.kind {
            BlockKind::Text(t) => {
                if let Some(line) = fill_line(t, |f| printout.fields.get(f)).map_err(|f| missing(&f))? {
                    out.push(Filled::Text(line));
                }
            }
            BlockKind::Rows(t) => {
                for row in &printout.rows {
                    if let Some(line) = fill_line(t, |f| row.get(f)).map_err(|f| missing(&f))? {
                        out.push(Filled::Text(line));
                    }
                }
            }
            BlockKind::Divider => out.push(Filled::Divider),
            BlockKind::Qr(field) => {
                let value = printout.fields.get(field.as_str()).ok_or_else(|| missing(field))?;
                out.push(Filled::Qr(value.clone()));
            }
            BlockKind::Spacer(dots) => out.push(Filled::Spacer(*dots)),
            BlockKind::Image(name) => {
                let dir = template.dir.as_deref().ok_or_else(|| {
                    fail(format!(
                        "the picture {} must sit beside a template file in the templates folder",
                        name.display()
                    ))
                })?;
                let path = dir.join(name);
                let bytes = std::fs::read(&path).map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
                let picture = Bitmap::from_png(&bytes).map_err(|e| fail(format!("{}: {e}", path.display())))?;
                out.push(Filled::Image(picture));
            }
        }
    }
    Ok(out)
}

/// The filled line, `None` when every field on it is empty, `Err(field)` for a field the
/// printout lacks.
fn fill_line<'a>(t: &TextBlock, value: impl Fn(&str) -> Option<&'a String>) -> Result<Option<Line>, String> {
    let mut fields = 0;
    let mut empty = 0;
    let mut absent = None;
    let text = t.fill(|f| {
        fields += 1;
        match value(f) {
            Some(v) => {
                empty += usize::from(v.is_empty());
                v.clone()
            }
            None => {
                absent.get_or_insert_with(|| f.to_string());
                String::new()
            }
        }
    });
    if let Some(f) = absent {
        return Err(f);
    }
    if fields > 0 && empty == fields {
        return Ok(None);
    }
    Ok(Some(Line {
        size: t.size,
        align: t.align,
        bold: t.bold,
        text,
    }))
}
