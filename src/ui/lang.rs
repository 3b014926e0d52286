//! The words the Rust side puts on screen (clerk-mode replies, refusals, notices), in the
//! screen's language. They come from the same catalogue as the `.slint` files' `@tr`
//! (`translations/en/LC_MESSAGES/jifen.po`, written by `tools/translations.py`, which also
//! collects every `tr("…")` and `trf("…", …)` here), so a translator keeps one file.
//! The voice always speaks Mandarin: what is said keeps the Chinese source.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use super::Language;

/// Chooses the language of the words the Rust side builds (the screens follow Slint's own
/// selection). One kiosk shows one language; tests switch it between runs.
pub fn set(lang: Language) {
    ENGLISH.store(lang == Language::En, Ordering::Relaxed);
}

/// A fixed text in the screen's language; a text the catalogue lacks (a printer's own
/// words, a clerk's item name) stays as it is.
pub fn tr(source: &str) -> String {
    if !ENGLISH.load(Ordering::Relaxed) {
        return source.to_string();
    }
    english().get(source).cloned().unwrap_or_else(|| source.to_string())
}

/// A text with values, `{}` filled in order or `{N}` by position, as `@tr` does. A value
/// that is itself a text of the catalogue (a printer's words inside a reply) is translated
/// too; numbers, serials and names are not in it and stay as they are.
pub fn trf(source: &str, args: &[&dyn Display]) -> String {
    let args: Vec<String> = args.iter().map(|a| tr(&a.to_string())).collect();
    let args: Vec<&dyn Display> = args.iter().map(|a| a as &dyn Display).collect();
    fill(&tr(source), &args)
}

/// Words for a villager: shown in the screen's language, said in Mandarin (the voice's
/// language whatever the screen's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub shown: String,
    pub said: String,
}

impl Said {
    pub fn new(source: &str, args: &[&dyn Display]) -> Said {
        Said {
            shown: trf(source, args),
            said: fill(source, args),
        }
    }

    /// Words from elsewhere (a printer's), translated when the catalogue knows them.
    pub fn words(words: &str) -> Said {
        Said::new("{}", &[&words])
    }
}

/// Marks a text for the catalogue where it is written, translated where it is shown
/// (gettext's `N_`): a screen's name kept in a help call, translated in clerk mode.
pub const fn later(source: &'static str) -> &'static str {
    source
}

static ENGLISH: AtomicBool = AtomicBool::new(false);

fn english() -> &'static HashMap<String, String> {
    static CATALOGUE: OnceLock<HashMap<String, String>> = OnceLock::new();
    CATALOGUE.get_or_init(|| parse_po(include_str!("../../translations/en/LC_MESSAGES/jifen.po")))
}

/// The single-line `msgid`/`msgstr` pairs our tool writes.
fn parse_po(po: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut id: Option<String> = None;
    for line in po.lines() {
        if let Some(rest) = line.strip_prefix("msgid ") {
            id = unquote(rest);
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            if let (Some(id), Some(text)) = (id.take(), unquote(rest)) {
                if !id.is_empty() && !text.is_empty() {
                    out.insert(id, text);
                }
            }
        }
    }
    out
}

fn unquote(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].chars().all(|c| c.is_ascii_digit()) => {
                let index = if close == 0 {
                    next += 1;
                    next - 1
                } else {
                    after[..close].parse().unwrap_or(usize::MAX)
                };
                match args.get(index) {
                    Some(a) => out.push_str(&a.to_string()),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fill_in_order_or_by_position() {
        assert_eq!(fill("{} 已补 {}", &[&"面券", &10]), "面券 已补 10");
        assert_eq!(fill("Rank {1} in {0}", &[&"第一网格", &3]), "Rank 3 in 第一网格");
        assert_eq!(fill("{} and {", &[&1]), "1 and {");
        assert_eq!(
            fill("{5}", &[&1]),
            "{5}",
            "a missing value shows the slot, never panics"
        );
    }

    #[test]
    fn the_catalogue_reads_what_the_tool_writes() {
        let po = "msgid \"\"\nmsgstr \"\"\n\nmsgid \"说 \\\"好\\\"\"\nmsgstr \"say \\\"yes\\\"\"\n";
        assert_eq!(parse_po(po).get("说 \"好\""), Some(&"say \"yes\"".to_string()));
        assert!(english().len() > 100, "the English catalogue is embedded");
    }
}
