//! The rows of an imported sheet: the header checked, each row parsed or refused by its
//! line number, blank rows skipped, after `text` has made the file plain text.

use crate::app::LineError;

/// Reads a CSV with the given header, parsing each row; returns the good rows with
/// their line numbers and the bad rows as errors.
pub(super) fn read_csv<T>(
    bytes: &[u8],
    header: &[&str],
    optional: &[&str],
    mut parse: impl FnMut(&csv::StringRecord) -> std::result::Result<T, String>,
) -> (Vec<(u64, T)>, Vec<LineError>) {
    let mut good = Vec::new();
    let mut errors = Vec::new();
    let text = match super::text::sheet_text(bytes) {
        Ok(text) => text,
        Err(message) => {
            errors.push(LineError { line: 1, message });
            return (good, errors);
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    match reader.headers() {
        // The header, or the header followed by its optional columns in order.
        Ok(h)
            if (header.len()..=header.len() + optional.len()).contains(&h.len())
                && h.iter().eq(header.iter().chain(optional).copied().take(h.len())) => {}
        Ok(h) => {
            errors.push(LineError {
                line: 1,
                message: format!(
                    "the header must be '{}', found '{}'",
                    header.join(","),
                    h.iter().collect::<Vec<_>>().join(",")
                ),
            });
            return (good, errors);
        }
        Err(e) => {
            errors.push(LineError {
                line: 1,
                message: format!("unreadable header: {e}"),
            });
            return (good, errors);
        }
    }
    for rec in reader.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.iter().all(str::is_empty) {
                    continue;
                }
                match parse(&rec) {
                    Ok(v) => good.push((line, v)),
                    Err(message) => errors.push(LineError { line, message }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("{len} fields where the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                errors.push(LineError { line, message });
            }
        }
    }
    (good, errors)
}
