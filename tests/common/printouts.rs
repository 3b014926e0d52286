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
        ("proxy", String::new()),
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
    // The haircut is paid by no fund: its line has no amount.
    let rows = [
        (40, "面券", 1, 20, "8.00 元"),
        (41, "面券", 2, 40, "16.00 元"),
        (43, "理发一次", 1, 15, ""),
    ]
    .into_iter()
    .map(|(n, item, qty, points, amount)| {
        BTreeMap::from([
            ("serial", Serial::new("YT", Some(1), n).to_string()),
            ("item", item.to_string()),
            ("qty", qty.to_string()),
            ("points", points.to_string()),
            ("amount", amount.to_string()),
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
            ("total_amount", "24.00".into()),
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

pub fn honour_certificate() -> Printout {
    Printout {
        document: Document::HonourCertificate,
        name: "honour".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("household", "YT-058".into()),
            ("head", "沈*明".into()),
            ("year", "2026".into()),
            ("place", "2".into()),
            ("stars", "6".into()),
            ("earned", "135".into()),
            ("issued", "2027-01-05".into()),
        ]),
        rows: Vec::new(),
    }
}

pub fn sponsor_letter() -> Printout {
    let row = |item: &str, qty: &str, cost: &str| {
        BTreeMap::from([("item", item.to_string()), ("qty", qty.into()), ("cost", cost.into())])
    };
    Printout {
        document: Document::SponsorLetter,
        name: "sponsor".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("sponsor", "乡贤沈建国".into()),
            ("period", " 2026 年".into()),
            ("received", "5000.00".into()),
            ("spent", "1236.00".into()),
            ("committed", "96.00".into()),
            ("remaining", "3668.00".into()),
            ("households", "41".into()),
            ("issued", "2026-11-15".into()),
        ]),
        rows: vec![row("面券", "148", "1184.00"), row("理发一次", "8", "148.00")],
    }
}

/// Every document, named for its golden file.
pub fn merchant_statement() -> Printout {
    let rows = [("乡贤沈建国", 12, "96.00"), ("乡贤徐国强", 3, "37.50")]
        .into_iter()
        .map(|(fund, count, amount)| {
            BTreeMap::from([
                ("fund", fund.to_string()),
                ("count", count.to_string()),
                ("amount", amount.to_string()),
            ])
        })
        .collect();
    Printout {
        document: Document::MerchantStatement,
        name: "merchant-statement".into(),
        fields: BTreeMap::from([
            ("village", "堰头村".to_string()),
            ("merchant", "堰头面馆".into()),
            ("month", "2026-11".into()),
            ("count", "16".into()),
            ("total", "133.50".into()),
            ("unfunded", "1".into()),
            ("issued", "2026-12-01".into()),
        ]),
        rows,
    }
}

/// A voucher a clerk redeemed for a household that could not come (代领).
pub fn proxy_voucher() -> Printout {
    let mut v = voucher(false);
    v.fields.insert("proxy", "值班干部（网格员王强送到户）".into());
    v.name = "proxy-voucher".into();
    v
}

pub fn all(width: u32) -> Vec<(&'static str, Printout)> {
    vec![
        ("household-card", household_card()),
        ("voucher", voucher(false)),
        ("reprint", voucher(true)),
        ("proxy-voucher", proxy_voucher()),
        ("settlement", settlement()),
        ("statement", statement()),
        ("test-page", test_page(width)),
        ("honour", honour_certificate()),
        ("sponsor-letter", sponsor_letter()),
        ("merchant-statement", merchant_statement()),
    ]
}
