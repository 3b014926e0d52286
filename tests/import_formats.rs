//! Imports take the files village cadres have: Excel's CSV with CRLF line ends (errors
//! name the line the cadre sees), UTF-8 with a byte-order mark, GBK/GB18030 CSV, and .xlsx
//! workbooks (the first sheet) — all-or-nothing as before.

mod common;

use common::*;
use jifen::app::{AppError, Identity};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const SHEET_HEADER: [&str; 6] = ["month", "household_code", "rule_code", "points", "note", "recorded_by"];

#[test]
fn a_crlf_file_names_the_bad_line_the_cadre_sees() {
    let mut v = village();
    v.households(2);
    let sheet = "month,household_code,rule_code,points,note,recorded_by\r\n\
                 2026-10,H1,B16,,,网格员\r\n\
                 2026-10,H2,B99,,,网格员\r\n\
                 2026-10,H1,B17,,\r\n";
    let refused = v.app.import_points("crlf.csv", sheet.as_bytes(), false);
    assert_names(
        refused,
        &["line 3: unknown rule B99", "line 4: 5 fields where the header has 6"],
    );
    assert_eq!(v.balance("H1"), 0, "nothing written");
}

#[test]
fn a_households_file_saved_by_excel_as_gbk_csv_keeps_its_chinese_names() {
    let mut v = village();
    let csv = format!(
        "household_code,grid,name,id_number,role,qr_token\r\n\
         YT-001,第一网格,沈建国,{},户主,\r\n\
         YT-001,第一网格,朱凤仙,{},member,\r\n",
        id_number(1),
        id_number(2)
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "the file is really not UTF-8");
    let r = v.app.import_households("households.csv", &gbk, false).unwrap();
    assert_eq!((r.rows, r.households_created), (2, 1));
    let view = v.app.account_view(&Identity::IdNumber(id_number(2))).unwrap();
    assert_eq!(view.head.as_deref(), Some("沈*国"));
    assert_eq!(view.members[1].name, "朱*仙");
    assert_eq!(view.grid, "第一网格");
}

#[test]
fn a_utf8_file_with_a_byte_order_mark_imports() {
    let mut v = village();
    let csv = format!("\u{feff}{}", households_csv(1, 2).replace('\n', "\r\n"));
    let r = v.app.import_households("bom.csv", csv.as_bytes(), false).unwrap();
    assert_eq!(r.households_created, 2);
    assert_eq!(v.app.identify(&Identity::IdNumber(id_number(2))).unwrap(), "H2");
}

#[test]
fn an_xlsx_scoring_sheet_imports_like_its_csv() {
    let mut v = village();
    v.households(3);
    // As a cadre types it: the month typed 2026-10 becomes a date cell, points are numbers.
    let book = workbook(&[
        Row::month(2026, 10, "H1", "B16", None, ""),
        Row::text("2026-10", "H2", "D11", Some(5.0), "柴堆占道\n（督导单已拍照）"),
        Row::month(2026, 11, "H1", "B11", None, ""),
    ]);
    let r = v.app.import_points("2026-10.xlsx", &book, false).unwrap();
    assert_eq!((r.rows, r.applied, r.points_total), (3, 3, 3), "+5 - 5 + 3");
    assert_eq!(v.balance("H1"), 8);
    assert_eq!(v.balance("H2"), -5);
    let h2 = v.app.account_view(&Identity::HouseholdCode("H2".into())).unwrap();
    assert_eq!(h2.entries[0].reason, "乱堆放杂物影响村容（柴堆占道 （督导单已拍照））");
    // The same workbook again adds nothing.
    let again = v.app.import_points("2026-10.xlsx", &book, false).unwrap();
    assert_eq!((again.applied, again.unchanged), (0, 3));
}

#[test]
fn a_bad_xlsx_row_is_named_by_its_spreadsheet_row_and_nothing_is_written() {
    let mut v = village();
    v.households(2);
    let book = workbook(&[
        Row::month(2026, 10, "H1", "B16", None, ""),
        Row::month(2026, 10, "H1", "B99", None, ""),
        Row::text("2026-10", "H2", "B16", Some(2.5), ""),
    ]);
    let refused = v.app.import_points("bad.xlsx", &book, false);
    assert_names(
        refused,
        &["line 3: unknown rule B99", "line 4: points '2.5' is not a whole number"],
    );
    assert_eq!(v.balance("H1"), 0, "nothing written");
}

#[test]
fn a_file_that_is_no_sheet_is_refused_in_words() {
    let mut v = village();
    let text = rejection(v.app.import_households("photo.csv", &phone_photo(40, 30), false));
    assert!(
        text.contains("neither UTF-8 nor GBK/GB18030 text, nor an .xlsx workbook"),
        "{text}"
    );
    let text = rejection(
        v.app
            .import_households("broken.xlsx", b"PK\x03\x04 not really a zip", false),
    );
    assert!(text.contains("not a readable .xlsx workbook"), "{text}");
}

#[test]
fn the_cli_imports_an_xlsx_households_file_from_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = jifen(
        &data,
        &["admin", "init", "--village-code", "YT", "--village-name", "堰头村"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["household_code", "grid", "name", "id_number", "role", "qr_token"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 1..=3u32 {
        let row = [
            format!("YT-00{i}"),
            "1".into(),
            format!("户主{i}"),
            id_number(i),
            "户主".into(),
            String::new(),
        ];
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(i, c as u16, cell).unwrap();
        }
    }
    let file = tmp.path().join("households.xlsx");
    book.save(&file).unwrap();
    let o = jifen(
        &data,
        &["admin", "household", "import", file.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["households_created"], 3);
    let o = jifen(&data, &["admin", "household", "show", "YT-003", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["head"], "户*3");
}

/// Asserts that an import was rejected naming each of `lines`.
fn assert_names<T: std::fmt::Debug>(r: Result<T, AppError>, lines: &[&str]) {
    let text = rejection(r);
    for line in lines {
        assert!(text.contains(line), "{line} not in: {text}");
    }
}

/// The text of an import's rejection.
fn rejection<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    let err = r.unwrap_err();
    assert!(
        matches!(err, AppError::ImportRejected { .. }),
        "expected a rejection, got {err}"
    );
    err.to_string()
}

struct Row {
    month: Month,
    household: &'static str,
    rule: &'static str,
    points: Option<f64>,
    note: &'static str,
}

enum Month {
    Date(u16, u8),
    Text(&'static str),
}

impl Row {
    fn month(
        year: u16,
        month: u8,
        household: &'static str,
        rule: &'static str,
        points: Option<f64>,
        note: &'static str,
    ) -> Row {
        Row {
            month: Month::Date(year, month),
            household,
            rule,
            points,
            note,
        }
    }

    fn text(
        month: &'static str,
        household: &'static str,
        rule: &'static str,
        points: Option<f64>,
        note: &'static str,
    ) -> Row {
        Row {
            month: Month::Text(month),
            household,
            rule,
            points,
            note,
        }
    }
}

/// A scoring sheet as Excel would save it: the header in row 1, shared strings, a month
/// as a date cell shown `yyyy-mm`, points as numbers.
fn workbook(rows: &[Row]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let month_format = Format::new().set_num_format("yyyy-mm");
    for (c, h) in SHEET_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        match row.month {
            Month::Date(y, m) => {
                let date = ExcelDateTime::from_ymd(y, m, 1).unwrap();
                sheet.write_datetime_with_format(r, 0, &date, &month_format).unwrap();
            }
            Month::Text(t) => {
                sheet.write_string(r, 0, t).unwrap();
            }
        }
        sheet.write_string(r, 1, row.household).unwrap();
        sheet.write_string(r, 2, row.rule).unwrap();
        if let Some(p) = row.points {
            sheet.write_number(r, 3, p).unwrap();
        }
        if !row.note.is_empty() {
            sheet.write_string(r, 4, row.note).unwrap();
        }
        sheet.write_string(r, 5, "网格员沈丽萍").unwrap();
    }
    book.save_to_buffer().unwrap()
}
