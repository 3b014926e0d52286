//! A sheet as people have it, turned into the text the CSV reader takes. A village cadre's
//! spreadsheet comes out of Excel as UTF-8 with a byte-order mark, as GBK (GB18030) CSV, or
//! as an .xlsx workbook, with CRLF line ends: each is taken, and every line number an error
//! names is the line (or spreadsheet row) the cadre sees.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// The sheet's text with `\n` line ends, or why it cannot be read (in words for the clerk).
pub(super) fn sheet_text(bytes: &[u8]) -> Result<String, String> {
    let text = if bytes.starts_with(ZIP_MAGIC) {
        workbook_as_csv(bytes)?
    } else {
        decoded(bytes)?
    };
    Ok(unix_line_ends(&text))
}

/// Every .xlsx is a ZIP archive, and no CSV starts with these bytes.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// UTF-8 (with or without its mark), else GB18030, which includes GBK and GB2312: what
/// Excel on a Chinese Windows writes when a sheet is saved as plain "CSV".
fn decoded(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or_else(|| {
            "neither UTF-8 nor GBK/GB18030 text, nor an .xlsx workbook (save the sheet as CSV UTF-8 or as .xlsx)"
                .to_string()
        })
}

/// CRLF and lone CR become LF. The CSV reader counts a CRLF file's lines one short, so
/// every error would name the line above the bad one.
fn unix_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The first worksheet as CSV, one line per spreadsheet row from row 1, so that line N of
/// an error is row N in Excel. A line break typed inside a cell (Alt+Enter) becomes a
/// space, for the same reason.
fn workbook_as_csv(bytes: &[u8]) -> Result<String, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("not a readable .xlsx workbook: {e}");
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| unreadable(&e))?,
        None => return Err("the workbook has no worksheet".to_string()),
    };
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut out = csv::Writer::from_writer(Vec::new());
    let blank_rows = "\n".repeat(first_row);
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        out.write_record(&cells).map_err(|e| unreadable(&e))?;
    }
    let body = out.into_inner().map_err(|e| unreadable(&e))?;
    let body = String::from_utf8(body).map_err(|e| unreadable(&e))?;
    Ok(blank_rows + &body)
}

/// A cell as the cadre sees it. Whole numbers lose Excel's `.0`. A date on the first of a
/// month at midnight is a month (`2026-11`): Excel turns a typed `2026-11` into that date,
/// and a month is the only date a sheet holds. An error cell keeps its text (`#REF!`), so
/// the row is refused by its line.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.replace(['\r', '\n'], " "),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => {
            let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
            if (day, hour, minute, second, milli) == (1, 0, 0, 0, 0) {
                format!("{year:04}-{month:02}")
            } else {
                format!("{year:04}-{month:02}-{day:02}")
            }
        }
        Data::Error(e) => format!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_bom_become_plain_lines() {
        let text = sheet_text(b"\xEF\xBB\xBFa,b\r\n1,2\r\n").unwrap();
        assert_eq!(text, "a,b\n1,2\n");
    }

    #[test]
    fn gbk_text_is_read_as_chinese() {
        let (bytes, _, _) = encoding_rs::GBK.encode("户号,姓名\nYT-001,沈建国\n");
        assert_eq!(sheet_text(&bytes).unwrap(), "户号,姓名\nYT-001,沈建国\n");
    }

    #[test]
    fn bytes_of_no_text_are_refused_in_words() {
        let err = sheet_text(b"\x81\x20\xff\xfe\x00").unwrap_err();
        assert!(err.contains("GBK"), "{err}");
    }
}
