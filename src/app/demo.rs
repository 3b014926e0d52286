//! The demo village: 堰头村 with 60 households in 3 grids, the standard rules, twelve
//! months of scoring through the real sheet import, a sponsored catalogue and a clerk.
//! Every resident is synthetic; ID numbers have valid check characters but are made up.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::{App, AppError, NewItem, Result};
use crate::domain::catalogue::Stock;
use crate::domain::id_number::check_character;
use crate::domain::period::Month;

#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub village_code: String,
    pub village_name: String,
    pub households: usize,
    pub residents: usize,
    pub ledger_entries: usize,
    pub catalogue_items: usize,
    pub redemptions: usize,
    /// Drawn photos of supervision sheets on photographed entries.
    pub evidence_photos: usize,
    pub open_disputes: usize,
    pub clerk: String,
    pub clerk_pin: String,
    /// A household and its QR card token to try the kiosk with.
    pub sample_household: String,
    pub sample_qr_token: String,
}

pub const DEMO_HOUSEHOLDS: usize = 60;
pub const DEMO_CLERK: &str = "值班干部";
pub const DEMO_CLERK_PIN: &str = "201911";
const GRIDS: [&str; 3] = ["第一网格", "第二网格", "第三网格"];
const GRID_WORKERS: [&str; 3] = ["网格员沈丽萍", "网格员徐建明", "网格员朱卫东"];
const SURNAMES: &str = "沈徐张朱钱陆王吴李周姚屠陈金顾蔡俞孙杨费";
const GIVEN_MALE: &[&str] = &[
    "建国", "国强", "水根", "阿毛", "金林", "伟明", "志华", "海峰", "荣生", "永福", "德明", "跃进", "小龙", "杰",
];
const GIVEN_FEMALE: &[&str] = &[
    "秀英", "桂芳", "美华", "月娥", "丽萍", "凤仙", "雪梅", "玉珍", "小红", "琴", "建芬", "彩娣",
];

/// The synthetic ID number of demo household `h` (0-based), member `m`. Deterministic, so
/// tests and demos can present a known card without any number being written down.
pub fn demo_id_number(h: usize, m: usize) -> String {
    let mut rng = StdRng::seed_from_u64((h * 8 + m) as u64 + 2019);
    let year = match m {
        0 => rng.gen_range(1940..1975),
        1 => rng.gen_range(1942..1978),
        _ => rng.gen_range(1976..2005),
    };
    let month = rng.gen_range(1..=12);
    let day = rng.gen_range(1..=28);
    // Sequence code: odd for men, even for women, as in real numbers.
    let male = m.is_multiple_of(2);
    let seq = rng.gen_range(0..500) * 2 + if male { 1 } else { 0 };
    let body = format!("330483{year:04}{month:02}{day:02}{seq:03}");
    let check = check_character(&body).unwrap_or('0');
    format!("{body}{check}")
}

/// A demo household's card token: as long as a real one, but seeded, so the README can
/// name one to type.
/// The demo village's grid workers, offered as who takes 代兑换 goods to households.
pub fn demo_deliverers() -> Vec<String> {
    vec!["网格员王强".into(), "网格员李芳".into()]
}

pub fn demo_qr_token(h: usize) -> String {
    let mut rng = StdRng::seed_from_u64(h as u64 + 77);
    crate::domain::household::qr_token_from("YT", rng.gen())
}

/// One month's scoring sheet of the demo: each household by its diligence, garbage
/// sorting every month, a photographed deduction when it failed. Returns the CSV and
/// its number of rows; photographed deductions are added to `photographed`.
fn month_sheet(
    rng: &mut StdRng,
    month: Month,
    diligence: &[f64],
    photographed: &mut Vec<(Month, String, &'static str)>,
) -> (String, usize) {
    let mut sheet = String::from("month,household_code,rule_code,points,note,recorded_by\n");
    let mut entries = 0;
    for (h, d) in diligence.iter().enumerate() {
        let worker = GRID_WORKERS[h * GRIDS.len() / DEMO_HOUSEHOLDS];
        let mut rows: Vec<(&str, &str)> = Vec::new();
        let garbage = rng.gen::<f64>();
        if garbage < d * 0.8 {
            rows.push(("B16", ""));
        } else if garbage < d + 0.15 {
            rows.push(("B17", ""));
        } else {
            rows.push(("D16", "督导单已拍照"));
            photographed.push((month, format!("YT-{:03}", h + 1), worker));
        }
        if rng.gen::<f64>() < *d * 0.6 {
            rows.push(("B11", ""));
        }
        if rng.gen::<f64>() < 0.12 {
            let extra = ["B06", "B13", "B24", "B03", "B18", "B22", "B25", "B09"];
            rows.push((extra[rng.gen_range(0..extra.len())], ""));
        }
        if rng.gen::<f64>() < (1.0 - d) * 0.15 {
            let bad = ["D11", "D12", "D09", "D17", "D04"];
            rows.push((bad[rng.gen_range(0..bad.len())], "巡查发现，已当场反馈"));
        }
        for (rule, note) in rows {
            sheet.push_str(&format!("{month},YT-{:03},{rule},,{note},{worker}\n", h + 1));
            entries += 1;
        }
    }
    (sheet, entries)
}

impl App {
    /// Fills an empty village with the demo data.
    pub fn seed_demo(&mut self) -> Result<DemoSummary> {
        if self.store.read(|tx| Ok::<_, AppError>(tx.household_count()?))? > 0 {
            return Err(AppError::Invalid(
                "this village already has households; the demo only fills an empty village".into(),
            ));
        }
        let mut rng = StdRng::seed_from_u64(2019);
        let surnames: Vec<char> = SURNAMES.chars().collect();
        let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
        let mut residents = 0;
        for h in 0..DEMO_HOUSEHOLDS {
            let code = format!("YT-{:03}", h + 1);
            let grid = GRIDS[h * GRIDS.len() / DEMO_HOUSEHOLDS];
            let surname = surnames[rng.gen_range(0..surnames.len())];
            let members = rng.gen_range(1..=4);
            for m in 0..members {
                let given = if m % 2 == 0 {
                    GIVEN_MALE[rng.gen_range(0..GIVEN_MALE.len())]
                } else {
                    GIVEN_FEMALE[rng.gen_range(0..GIVEN_FEMALE.len())]
                };
                let family = if m == 1 {
                    surnames[rng.gen_range(0..surnames.len())]
                } else {
                    surname
                };
                let role = if m == 0 { "head" } else { "member" };
                let token = if m == 0 { demo_qr_token(h) } else { String::new() };
                csv.push_str(&format!(
                    "{code},{grid},{family}{given},{},{role},{token}\n",
                    demo_id_number(h, m)
                ));
                residents += 1;
            }
        }
        self.import_households("demo-households.csv", csv.as_bytes(), false)?;

        // Twelve months of scoring, one sheet a month, through the real import; before them
        // last year's twelve (drawn from a generator of their own, so this year's sheets
        // are the same with or without them), whose star households the home screen shows.
        let this_month = self.clock.this_month();
        let diligence: Vec<f64> = (0..DEMO_HOUSEHOLDS).map(|_| rng.gen_range(0.3..1.0)).collect();
        let mut entries = 0;
        let mut photographed = Vec::new();
        let mut last_year_rng = StdRng::seed_from_u64(2025);
        let this_year = this_month.year;
        for m in 1..=12 {
            let Some(month) = Month::new(this_year - 1, m) else {
                continue;
            };
            let (sheet, rows) = month_sheet(&mut last_year_rng, month, &diligence, &mut Vec::new());
            self.import_points(&format!("demo-sheet-{month}.csv"), sheet.as_bytes(), false)?;
            entries += rows;
        }
        for back in (0..12).rev() {
            let month = this_month.minus(back);
            if month.year < this_year {
                continue; // already scored as last year
            }
            let (sheet, rows) = month_sheet(&mut rng, month, &diligence, &mut photographed);
            self.import_points(&format!("demo-sheet-{month}.csv"), sheet.as_bytes(), false)?;
            entries += rows;
        }
        let (photos, disputes) = self.seed_demo_evidence(&photographed)?;

        let items = [
            (
                "NOODLE",
                "面券",
                20,
                Stock::Limited(300),
                Some("堰头面馆"),
                Some("乡贤沈建国"),
                90,
            ),
            (
                "RICE5",
                "大米 5 斤",
                60,
                Stock::Limited(40),
                Some("村委会"),
                Some("乡贤徐国强"),
                60,
            ),
            (
                "OIL",
                "菜籽油 1 桶",
                80,
                Stock::Limited(25),
                Some("村委会"),
                Some("乡贤徐国强"),
                60,
            ),
            ("SOAP", "洗衣皂 2 块", 10, Stock::Limited(100), Some("村委会"), None, 60),
            (
                "EGGS",
                "土鸡蛋 10 个",
                30,
                Stock::Limited(50),
                Some("村委会"),
                Some("乡贤朱志华"),
                30,
            ),
            (
                "HAIRCUT",
                "理发一次",
                15,
                Stock::Unlimited,
                Some("村口理发店"),
                Some("乡贤沈建国"),
                90,
            ),
        ];
        for (code, name, points, stock, merchant, sponsor, days) in items {
            let picture = DEMO_PICTURES.iter().find(|(c, _)| *c == code).map(|(_, p)| p.to_vec());
            self.add_item(NewItem {
                code: code.into(),
                name: name.into(),
                points_cost: points,
                stock,
                merchant: merchant.map(str::to_string),
                sponsor: sponsor.map(str::to_string),
                valid_days: days,
                picture,
            })?;
        }
        // Two local notables pay for most goods: their gifts, and what each item costs
        // their fund (EGGS is 朱志华's gift in kind: named on the voucher, no fund).
        for (sponsor, note, gift) in [
            ("乡贤沈建国", "在杭州经营服装厂，老家堰头", "5000.00"),
            ("乡贤徐国强", "退休教师", "3000.00"),
        ] {
            self.add_sponsor(sponsor, Some(note), DEMO_CLERK)?;
            self.fund_sponsor(sponsor, gift, Some("现金，村会计签收"), DEMO_CLERK)?;
        }
        for (code, cost) in [
            ("NOODLE", "8.00"),
            ("HAIRCUT", "15.00"),
            ("RICE5", "12.50"),
            ("OIL", "45.00"),
        ] {
            self.set_item_cost(code, Some(cost), DEMO_CLERK)?;
        }
        self.add_clerk(DEMO_CLERK, DEMO_CLERK_PIN)?;

        // A little redemption history: some noodle coupons, a few already eaten.
        let mut redemptions = 0;
        for h in (0..DEMO_HOUSEHOLDS).step_by(7) {
            let code = format!("YT-{:03}", h + 1);
            if let Ok(r) = self.redeem(&code, "NOODLE", 1, DEMO_CLERK) {
                redemptions += 1;
                // Handed out long ago: their paper is in the villagers' pockets, so the
                // kiosk's start-up reprint has nothing to bring out.
                self.begin_print(&r.serial)?;
                self.print_succeeded(&r.serial)?;
                if h % 2 == 0 {
                    self.settle(&r.qr_payload, None, None, DEMO_CLERK)?;
                }
            }
        }
        Ok(DemoSummary {
            village_code: self.village.code.clone(),
            village_name: self.village.name.clone(),
            households: DEMO_HOUSEHOLDS,
            residents,
            ledger_entries: entries,
            catalogue_items: items.len(),
            redemptions,
            evidence_photos: photos,
            open_disputes: disputes,
            clerk: DEMO_CLERK.into(),
            clerk_pin: DEMO_CLERK_PIN.into(),
            sample_household: "YT-001".into(),
            sample_qr_token: demo_qr_token(0),
        })
    }
}

/// The demo items' pictures (`assets/pictures`, CC0), handed over as a clerk's PNG would be.
const DEMO_PICTURES: [(&str, &[u8]); 6] = [
    ("NOODLE", include_bytes!("../../assets/pictures/noodle.png")),
    ("RICE5", include_bytes!("../../assets/pictures/rice.png")),
    ("OIL", include_bytes!("../../assets/pictures/oil.png")),
    ("SOAP", include_bytes!("../../assets/pictures/soap.png")),
    ("EGGS", include_bytes!("../../assets/pictures/eggs.png")),
    ("HAIRCUT", include_bytes!("../../assets/pictures/haircut.png")),
];
