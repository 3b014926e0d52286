//! Household and scoring-sheet imports: all-or-nothing, bad rows named by line, and a
//! repeated import that adds nothing.

mod common;

use common::*;
use jifen::app::{AppError, Identity};

#[test]
fn a_good_household_file_registers_every_member_under_the_hashed_id() {
    let mut v = village();
    let csv = format!(
        "household_code,grid,name,id_number,role,qr_token\n\
         YT-001,1,沈建国,{},head,CARD-001-7KX3MPRW9T4C\n\
         YT-001,1,朱凤仙,{},member,\n\
         YT-002,2,徐水根,{},户主,CARD-002-7KX3MPRW9T4C\n",
        id_number(1),
        id_number(2),
        id_number(3).to_lowercase()
    );
    let r = v.app.import_households("h.csv", csv.as_bytes(), false).unwrap();
    assert_eq!((r.rows, r.applied, r.households_created), (3, 3, 2));
    // Either member's card opens the household; so does its QR card.
    assert_eq!(v.app.identify(&Identity::IdNumber(id_number(2))).unwrap(), "YT-001");
    assert_eq!(
        v.app
            .identify(&Identity::QrToken("CARD-002-7KX3MPRW9T4C".into()))
            .unwrap(),
        "YT-002"
    );
    let view = v.app.account_view(&Identity::IdNumber(id_number(1))).unwrap();
    assert_eq!(view.head.as_deref(), Some("沈*国"));
    assert_eq!(view.members[1].name, "朱*仙");
}

#[test]
fn bad_household_rows_are_all_named_and_nothing_is_written() {
    let mut v = village();
    let csv = format!(
        "household_code,grid,name,id_number,role,qr_token\n\
         YT-001,1,沈建国,{},head,\n\
         YT-002,1,徐水根,{},head,\n\
         YT-003,1,,{},head,\n\
         YT-004,1,钱美华,{},boss,\n\
         YT-005,1,陆阿毛,{},head,\n\
         YT-001,2,朱琴,{},member,\n",
        id_number(1),
        wrong_check(&id_number(2)),
        id_number(3),
        id_number(4),
        id_number(1),
        id_number(6)
    );
    let err = v.app.import_households("bad.csv", csv.as_bytes(), false).unwrap_err();
    let AppError::ImportRejected { errors, .. } = &err else {
        panic!("expected a rejection, got {err}");
    };
    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7], "{err}");
    assert!(errors[0].message.contains("check character"), "{}", errors[0].message);
    assert!(
        errors[3].message.contains("line 2"),
        "duplicate names the first line: {}",
        errors[3].message
    );
    assert!(errors[4].message.contains("grid"), "{}", errors[4].message);
    // No ID number in clear in the message.
    assert!(!err.to_string().contains(&id_number(1)[..14]));
    // Nothing written, not even the good first row.
    assert!(matches!(
        v.app.identify(&Identity::IdNumber(id_number(1))),
        Err(AppError::UnknownIdNumber)
    ));
}

#[test]
fn a_file_with_the_wrong_number_of_fields_names_the_line() {
    let mut v = village();
    let csv = format!(
        "household_code,grid,name,id_number,role,qr_token\nYT-001,1,沈建国,{},head\n",
        id_number(1)
    );
    let err = v.app.import_households("short.csv", csv.as_bytes(), false).unwrap_err();
    assert!(
        err.to_string().contains("line 2: 5 fields where the header has 6"),
        "{err}"
    );
}

#[test]
fn a_scoring_sheet_imported_twice_adds_points_once() {
    let mut v = village();
    v.households(3);
    let sheet = "month,household_code,rule_code,points,note,recorded_by\n\
                 2026-10,H1,B16,,,网格员沈丽萍\n\
                 2026-10,H2,D11,5,柴堆占道,网格员沈丽萍\n\
                 2026-11,H1,B11,,,网格员沈丽萍\n";
    let first = v.app.import_points("sheet.csv", sheet.as_bytes(), false).unwrap();
    assert_eq!(
        (first.applied, first.unchanged, first.points_total),
        (3, 0, 3),
        "+5 - 5 + 3"
    );
    let again = v.app.import_points("sheet.csv", sheet.as_bytes(), false).unwrap();
    assert_eq!((again.applied, again.unchanged, again.points_total), (0, 3, 0));
    assert_eq!(v.balance("H1"), 8);
    assert_eq!(v.balance("H2"), -5);
    let h2 = v.app.account_view(&Identity::HouseholdCode("H2".into())).unwrap();
    assert_eq!(h2.entries[0].reason, "乱堆放杂物影响村容（柴堆占道）");
    assert!(!h2.can_redeem);
}

#[test]
fn bad_sheet_rows_are_named_and_nothing_is_written() {
    let mut v = village();
    v.households(2);
    let sheet = "month,household_code,rule_code,points,note,recorded_by\n\
                 2026-10,H1,B16,,,网格员\n\
                 2026/10,H1,B17,,,网格员\n\
                 2026-10,H9,B16,,,网格员\n\
                 2026-10,H2,B99,,,网格员\n\
                 2026-10,H1,B16,,,网格员\n\
                 2027-01,H2,B16,,,网格员\n\
                 2026-10,H2,B16,-3,,网格员\n\
                 2026-10,H2,B17,abc,,网格员\n";
    let err = v
        .app
        .import_points("bad-sheet.csv", sheet.as_bytes(), false)
        .unwrap_err();
    let text = err.to_string();
    for expected in [
        "line 3: '2026/10' is not a month",
        "line 4: unknown household H9",
        "line 5: unknown rule B99",
        "line 6: duplicate of line 2",
        "line 7: month 2027-01 is in the future",
        "line 8: rule B16 is a bonus item",
        "line 9: points 'abc' is not a whole number",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
    assert_eq!(v.balance("H1"), 0);
}

#[test]
fn a_changed_sheet_row_is_refused_with_advice_to_correct() {
    let mut v = village();
    v.households(1);
    let sheet = "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,5,,网格员\n";
    v.app.import_points("a.csv", sheet.as_bytes(), false).unwrap();
    let changed = "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,3,,网格员\n";
    let err = v.app.import_points("b.csv", changed.as_bytes(), false).unwrap_err();
    assert!(
        err.to_string()
            .contains("already has +5 for B16 in 2026-10; this sheet says +3"),
        "{err}"
    );
    assert_eq!(v.balance("H1"), 5);
}

#[test]
fn a_dry_run_reports_but_writes_nothing() {
    let mut v = village();
    v.households(1);
    let sheet = "month,household_code,rule_code,points,note,recorded_by\n2026-10,H1,B16,,,网格员\n";
    let r = v.app.import_points("a.csv", sheet.as_bytes(), true).unwrap();
    assert!(r.dry_run);
    assert_eq!((r.applied, r.points_total), (1, 5));
    assert_eq!(v.balance("H1"), 0);
    assert_eq!(
        v.app.unpushed_event_count().unwrap(),
        3,
        "the test rules' two events and the household import's, none for the dry run"
    );
}

#[test]
fn the_database_file_never_holds_an_id_number_in_clear() {
    let mut v = village();
    v.households(5);
    v.app.account_view(&Identity::IdNumber(id_number(3))).unwrap();
    drop(v.app);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&v.dir.root).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            bytes.extend(std::fs::read(p).unwrap());
        }
    }
    for i in 1..=5 {
        let id = id_number(i);
        assert!(
            !bytes.windows(18).any(|w| w == id.as_bytes()),
            "ID number {i} found in clear"
        );
        // Not even the part before the last four characters.
        assert!(!bytes.windows(14).any(|w| w == &id.as_bytes()[..14]));
    }
}

#[test]
fn rules_import_adds_and_updates_by_code() {
    let mut v = village();
    assert_eq!(
        v.app.rules().unwrap().len(),
        51 + 2,
        "the standard 26 + 25 and the tests' two"
    );
    let csv = "code,area,kind,points,text\nB16,垃圾分类,加分,6,垃圾分类优秀（示范户）\nX01,其他,加分,2,参加村晚演出\n";
    let r = v.app.import_rules("rules.csv", csv.as_bytes()).unwrap();
    assert_eq!((r.applied, r.unchanged), (2, 0));
    let rules = v.app.rules().unwrap();
    assert_eq!(rules.len(), 54);
    assert_eq!(rules.iter().find(|r| r.code == "B16").unwrap().points, 6);
    let bad = "code,area,kind,points,text\nX02,田间,加分,2,x\n";
    let err = v.app.import_rules("bad.csv", bad.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("line 2: unknown area '田间'"), "{err}");
}
