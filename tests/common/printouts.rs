//! Fixed printouts for the golden and round-trip tests: the same values on every run,
//! with QR texts signed by a fixed test key (Ed25519 signatures are deterministic).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ed25519_dalek::SigningKey;
use jifen::app::{Document, Printout};
use jifen::domain::statement::StatementPayload;
use jifen::domain::voucher::{Serial, VoucherPayload};

pub fn test_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

pub fn voucher(reprint: bool) -> Printout {
    let serial = Serial::new("YT", Some(1), 42);
    let qr = VoucherPayload {
        serial: serial.clone(),
        item_code: "NOODLE".into(),
        points: 20,
        expires: NaiveDate::from_ymd_opt(2027, 2, 13).unwrap(),
    }
    .sign(&test_key());
    let mut fields = BTreeMap::from([
        ("village", "堰头村".to_string()),
        ("household", "YT-002".into()),
        ("item", "面券".into()),
        ("qty", "1".into()),
        ("points", "20".into()),
        ("serial", serial.to_string()),
        ("issued", "2026-11-15 12:00".into()),
        ("expires", "2027-02-13".into()),
        ("merchant", "堰头面馆".into()),
        ("sponsor", "乡贤沈建国".into()),
        ("code", jifen::domain::voucher::verification_code(&qr).unwrap()),
        ("qr", qr),
    ]);
    if reprint {
        fields.insert("reprint_count", "1".into());
    }
    Printout {
        document: if reprint { Document::Reprint } else { Document::Voucher },
        name: serial.to_string(),
        fields,
        rows: Vec::new(),
    }
}

pub fn settlement() -> Printout {
    let rows = [(40, "面券", 1, 20), (41, "面券", 2, 40), (43, "理发一次", 1, 15)]
        .into_iter()
        .map(|(n, item, qty, points)| {
            BTreeMap::from([
                ("serial", Serial::new("YT", Some(1), n).to_string()),
                ("item", item.to_string()),
                ("qty", qty.to_string()),
                ("points", points.to_string()),
            ])
        })
        .collect();
    Printout {
        document: Document::Settlement,
        name: "settlement".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("merchant", "堰头面馆".into()),
            ("date", "2026-11-15".into()),
            ("clerk", "值班干部".into()),
            ("count", "3".into()),
            ("total_points", "75".into()),
        ]),
        rows,
    }
}

pub fn statement() -> Printout {
    let qr = StatementPayload {
        village: "YT".into(),
        household: "YT-002".into(),
        balance: 50,
        earned_12_months: 21,
        issued: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
    }
    .sign(&test_key());
    let rows = [
        ("2026-11", "垃圾分类", "+5"),
        ("2026-10", "环境整治", "+3"),
        ("2026-09", "家风家训", "+3"),
        ("2026-08", "平安创建", "-2"),
        ("2026-07", "垃圾分类", "+12"),
    ]
    .into_iter()
    .map(|(m, a, p)| {
        BTreeMap::from([
            ("month", m.to_string()),
            ("area", a.to_string()),
            ("points", p.to_string()),
        ])
    })
    .collect();
    Printout {
        document: Document::Statement,
        name: "statement".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("household", "YT-002".into()),
            ("head", "朱*华".into()),
            ("balance", "50".into()),
            ("rank", "3".into()),
            ("households", "60".into()),
            ("quarter", "2026Q4".into()),
            ("issued", "2026-11-15".into()),
            ("qr", qr),
        ]),
        rows,
    }
}

pub fn test_page(width: u32) -> Printout {
    Printout {
        document: Document::TestPage,
        name: "test-page".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("printer", "tcp://192.0.2.7:9100".into()),
            ("width", width.to_string()),
            ("issued", "2026-11-15 12:00".into()),
            ("qr", "JIFEN-TEST|YT|2026-11-15 12:00".into()),
        ]),
        rows: Vec::new(),
    }
}

pub fn household_card() -> Printout {
    Printout {
        document: Document::HouseholdCard,
        name: "card".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("household", "YT-002".into()),
            ("head", "朱*华".into()),
            ("issued", "2026-11-15".into()),
            ("qr", jifen::domain::household::qr_token_from("YT", [5; 15])),
        ]),
        rows: Vec::new(),
    }
}

/// Every document, named for its golden file.
pub fn all(width: u32) -> Vec<(&'static str, Printout)> {
    vec![
        ("household-card", household_card()),
        ("voucher", voucher(false)),
        ("reprint", voucher(true)),
        ("settlement", settlement()),
        ("statement", statement()),
        ("test-page", test_page(width)),
    ]
}
