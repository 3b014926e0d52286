//! The year's evaluation (一年一评比): the year's ranking and its star households by the
//! village's rule, the certificate, and the home screen's list — from the ledger, so
//! redeeming never lowers a household's standing and ties share a place.

mod common;

use common::*;
use jifen::app::AppError;
use jifen::domain::honours::HonoursRule;
use jifen::domain::period::Month;

/// 20 households scored over 2025 (the tests' clock is in November 2026): H2 and H3 tie
/// on 50, H4 has 40, H1 has the most (60) but a 遵纪守法 fine, everyone else 5.
fn scored_year() -> TestVillage {
    let mut v = village();
    v.households(20);
    v.app
        .import_rules(
            "law.csv",
            "code,area,kind,points,text\nL01,遵纪守法,扣分,20,有违法行为受到行政处罚\n".as_bytes(),
        )
        .unwrap();
    let month = |m| Month::new(2025, m);
    let mut award = |h: &str, points: i64, m: u32| {
        v.app.award(h, "T01", Some(points), None, month(m), "网格员").unwrap();
    };
    award("H1", 80, 3);
    award("H2", 50, 4);
    award("H3", 30, 5);
    award("H3", 20, 6);
    award("H4", 40, 7);
    for h in 5..=20 {
        award(&format!("H{h}"), 5, 8);
    }
    v.app
        .award("H1", "L01", Some(20), Some("赌博被处罚"), month(9), "网格员")
        .unwrap();
    // This year's points do not count for last year.
    v.app.award("H20", "T01", Some(500), None, None, "网格员").unwrap();
    v
}

#[test]
fn the_top_tenth_without_a_fine_are_stars_and_a_tie_shares_the_place() {
    let mut v = scored_year();
    let view = v.app.honours(2025).unwrap();
    assert_eq!((view.households, view.places), (20, 2));
    let stars: Vec<(&str, u32, i64)> = view
        .stars
        .iter()
        .map(|s| (s.household_code.as_str(), s.place, s.earned))
        .collect();
    assert_eq!(stars, vec![("H2", 1, 50), ("H3", 1, 50)], "H1 was fined under 遵纪守法");
    assert!(view
        .stars
        .iter()
        .all(|s| s.head.as_deref().is_some_and(|h| h.contains('*'))));

    // The year's ranking has H1 first: the fine rules out the honour, not the points.
    let ranking = v.app.year_ranking(2025, None).unwrap();
    assert_eq!(ranking.period, "2025");
    assert_eq!(
        (ranking.rows[0].household_code.as_str(), ranking.rows[0].earned),
        ("H1", 60)
    );
    assert_eq!(
        ranking.rows.iter().find(|r| r.household_code == "H20").unwrap().earned,
        5
    );
}

#[test]
fn redeeming_never_lowers_a_star_and_a_corrected_fine_no_longer_stands() {
    let mut v = scored_year();
    v.item("RICE", 45, None);
    v.app.redeem("H2", "RICE", 1, "kiosk").unwrap();
    assert_eq!(v.balance("H2"), 5);
    let stars = |v: &mut TestVillage| -> Vec<String> {
        v.app
            .honours(2025)
            .unwrap()
            .stars
            .into_iter()
            .map(|s| s.household_code)
            .collect()
    };
    assert_eq!(stars(&mut v), ["H2", "H3"]);
    // H1's fine is found wrong after a dispute and corrected back: H1 is first.
    let fine = v
        .app
        .account_view(&jifen::app::Identity::HouseholdCode("H1".into()))
        .unwrap()
        .entries
        .into_iter()
        .find(|e| e.delta == -20)
        .unwrap();
    v.app.correct(&fine.id, 20, "核实有误，撤销", "村干部").unwrap();
    let view = v.app.honours(2025).unwrap();
    let got: Vec<(&str, u32)> = view
        .stars
        .iter()
        .map(|s| (s.household_code.as_str(), s.place))
        .collect();
    assert_eq!(
        got,
        vec![("H1", 1), ("H2", 2), ("H3", 2)],
        "ties at the last place all count"
    );
}

#[test]
fn the_village_sets_the_rule_and_a_wrong_one_is_refused_in_words() {
    let mut v = scored_year();
    v.app.set_honours_rule(HonoursRule {
        top_percent: 25,
        min_points: 45,
        clean_area: String::new(),
    });
    let got: Vec<String> = v
        .app
        .honours(2025)
        .unwrap()
        .stars
        .into_iter()
        .map(|s| s.household_code)
        .collect();
    assert_eq!(got, ["H1", "H2", "H3"], "five places, but only three reach 45 points");
    v.app.set_honours_rule(HonoursRule {
        top_percent: 150,
        ..HonoursRule::default()
    });
    let err = v.app.honours(2025).unwrap_err();
    assert!(
        matches!(&err, AppError::Invalid(m) if m.contains("top_percent must be between 1 and 100")),
        "{err}"
    );
    v.app.set_honours_rule(HonoursRule::default());
    assert!(v
        .app
        .honours(1850)
        .unwrap_err()
        .to_string()
        .contains("not a year of the scheme"));
}

#[test]
fn the_certificate_is_printed_for_a_star_and_refused_with_the_reason_for_anyone_else() {
    let mut v = scored_year();
    let certificate = v.app.honour_printout("H3", 2025).unwrap();
    assert_eq!(certificate.fields["place"], "1");
    assert_eq!(certificate.fields["stars"], "2");
    assert_eq!(certificate.fields["earned"], "50");
    assert_eq!(certificate.fields["year"], "2025");
    let err = v.app.honour_printout("H4", 2025).unwrap_err();
    assert!(
        err.to_string().contains("H4 is not among 2025's star households"),
        "{err}"
    );
    assert!(matches!(
        v.app.honour_printout("H99", 2025),
        Err(AppError::UnknownHousehold(_))
    ));
}

#[test]
fn the_cli_names_the_stars_by_the_config_rule_and_prints_the_certificate() {
    let (tmp, dir) = demo_kiosk();
    // The demo scored last year too: its stars are the top tenth of 60 households.
    let honours = json(&jifen(&dir, &["admin", "honours", "--json"]));
    let stars = honours["stars"].as_array().unwrap();
    assert_eq!(honours["places"], 6);
    assert!(stars.len() >= 6, "{honours}");
    let year = honours["year"].as_i64().unwrap();
    let ranking = json(&jifen(
        &dir,
        &["admin", "ranking", "--year", &year.to_string(), "--json"],
    ));
    let first_star = stars[0]["household_code"].as_str().unwrap();
    let place_in_ranking = ranking["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["household_code"] == first_star)
        .unwrap()["rank"]
        .as_u64()
        .unwrap();
    assert!(place_in_ranking <= 6, "a star is near the top of the year's ranking");

    // A stricter rule in the config: fewer stars, said in the text form too.
    let config = tmp.path().join("jifen.toml");
    std::fs::write(
        &config,
        "[honours]\ntop_percent = 5\nmin_points = 0\nclean_area = \"\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let o = jifen(&dir, &["--config", config, "admin", "honours"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("前 5% 即 3 个名次"), "{}", stdout(&o));

    let o = jifen(&dir, &["print", "honour", "--household", first_star]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir
        .join("previews")
        .join(format!("honour-{first_star}-{year}.png"))
        .exists());
    std::fs::write(tmp.path().join("bad.toml"), "[honours]\ntop_percent = 0\n").unwrap();
    let o = jifen(
        &dir,
        &[
            "--config",
            tmp.path().join("bad.toml").to_str().unwrap(),
            "admin",
            "honours",
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("top_percent must be between 1 and 100, not 0"),
        "{}",
        stderr(&o)
    );
}
