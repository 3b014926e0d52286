//! Each printed document's template file, the fields and row fields it may use, and the
//! copy shipped inside the program. (`Document` itself belongs to the app, which says
//! what to print; what a layout may name lives here, beside the parser that checks it.)

use crate::app::Document;

impl Document {
    pub const ALL: [Document; 9] = [
        Document::Voucher,
        Document::Reprint,
        Document::Settlement,
        Document::Statement,
        Document::TestPage,
        Document::HouseholdCard,
        Document::HonourCertificate,
        Document::SponsorLetter,
        Document::MerchantStatement,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Document::Voucher => "voucher.tpl",
            Document::Reprint => "reprint.tpl",
            Document::Settlement => "settlement.tpl",
            Document::Statement => "statement.tpl",
            Document::TestPage => "test-page.tpl",
            Document::HouseholdCard => "household-card.tpl",
            Document::HonourCertificate => "honour.tpl",
            Document::SponsorLetter => "sponsor-letter.tpl",
            Document::MerchantStatement => "merchant-statement.tpl",
        }
    }

    pub fn fields(self) -> &'static [&'static str] {
        // A reprint has every field of the voucher, and its count last.
        const REPRINT: &[&str] = &[
            "village",
            "household",
            "item",
            "qty",
            "points",
            "serial",
            "issued",
            "expires",
            "merchant",
            "sponsor",
            "proxy",
            "qr",
            "code",
            "reprint_count",
        ];
        match self {
            Document::Voucher => &REPRINT[..REPRINT.len() - 1],
            Document::Reprint => REPRINT,
            Document::Settlement => &[
                "village",
                "merchant",
                "date",
                "clerk",
                "count",
                "total_points",
                "total_amount",
            ],
            Document::MerchantStatement => &["village", "merchant", "month", "count", "total", "unfunded", "issued"],
            Document::Statement => &[
                "village",
                "household",
                "head",
                "balance",
                "rank",
                "households",
                "quarter",
                "issued",
                "qr",
            ],
            Document::TestPage => &["village", "printer", "width", "issued", "qr"],
            Document::HouseholdCard => &["village", "household", "head", "issued", "qr"],
            Document::HonourCertificate => &[
                "village",
                "household",
                "head",
                "year",
                "place",
                "stars",
                "earned",
                "issued",
            ],
            Document::SponsorLetter => &[
                "village",
                "sponsor",
                "period",
                "received",
                "spent",
                "committed",
                "remaining",
                "households",
                "issued",
            ],
        }
    }

    /// Fields of a `rows` line; empty when the document has no rows.
    pub fn row_fields(self) -> &'static [&'static str] {
        match self {
            Document::Settlement => &["serial", "item", "qty", "points", "amount"],
            Document::MerchantStatement => &["fund", "count", "amount"],
            Document::Statement => &["month", "area", "points"],
            Document::SponsorLetter => &["item", "qty", "cost"],
            _ => &[],
        }
    }

    /// The template shipped with the program, used when the folder has no file for it.
    pub fn default_template(self) -> &'static str {
        match self {
            Document::Voucher => include_str!("../../printer-templates/voucher.tpl"),
            Document::Reprint => include_str!("../../printer-templates/reprint.tpl"),
            Document::Settlement => include_str!("../../printer-templates/settlement.tpl"),
            Document::Statement => include_str!("../../printer-templates/statement.tpl"),
            Document::TestPage => include_str!("../../printer-templates/test-page.tpl"),
            Document::HouseholdCard => include_str!("../../printer-templates/household-card.tpl"),
            Document::HonourCertificate => include_str!("../../printer-templates/honour.tpl"),
            Document::SponsorLetter => include_str!("../../printer-templates/sponsor-letter.tpl"),
            Document::MerchantStatement => include_str!("../../printer-templates/merchant-statement.tpl"),
        }
    }
}
