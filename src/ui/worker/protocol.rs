//! What the UI thread and the worker say to each other: commands and replies.

use crate::ui::lang::Said;

use crate::app::{
    AccountView, CatalogueItemView, DisputeView, Identity, PhotoFetcher, PrintReport, ProxyView, RankingRow,
    RedemptionReceipt, SettlementReceipt, VoicePreference, VoucherView,
};

/// What the UI asks for.
#[derive(Debug)]
pub enum Command {
    /// The idle screen's honour roll and rules.
    Home,
    /// A card or scan; `card_name` is the name read from an ID card, for the greeting.
    Identify {
        who: Identity,
        card_name: Option<String>,
    },
    Redeem {
        household: String,
        item: String,
    },
    /// The household whose account is open prints its own unconfirmed vouchers.
    ReprintMine(String),
    /// The villager's answer to 兑换券出来了吗？ for the voucher just issued.
    CameOut {
        serial: String,
        came_out: bool,
    },
    UnlockClerk(String),
    /// Clerk mode is left (the clerk tapped 退出, or it timed out): no clerk command is
    /// taken until the next PIN.
    LockClerk,
    /// Catalogue, unconfirmed vouchers, today's vouchers and the sync backlog for clerk mode.
    ClerkData,
    Restock {
        code: String,
        add: i64,
    },
    SetActive {
        code: String,
        active: bool,
    },
    Reprint(String),
    Settle {
        presented: String,
    },
    PrintSlip {
        settled: Vec<SettlementReceipt>,
    },
    TestPage,
    Statement(Identity),
    /// 代兑换: the household whose card was read in clerk mode, to redeem on its behalf.
    ProxyOpen(Identity),
    /// 代兑换: one of the item for the household `ProxyOpen` opened (no household named
    /// here: only a card read opens one).
    ProxyRedeem {
        item: String,
        /// Who takes it there: a place in the choices `ProxyAccount` offered (0: the clerk).
        deliverer: usize,
    },
    /// 代兑换: the goods of this voucher reached its household.
    ProxyDelivered(String),
    /// The clerk's choice of voice and volume, kept for the next start.
    SaveVoice(VoicePreference),
    /// A villager pressed 请工作人员帮忙 on this screen (in words).
    CallHelp(String),
    /// The photos of an entry the villager opened.
    EntryPhotos(String),
    /// 我有疑问, confirmed, on an entry of the household at the screen.
    OpenDispute {
        household: String,
        entry: String,
    },
    /// How photos older than the cache are fetched (given when a township is configured).
    PhotoSource(PhotoSource),
}

/// A [`PhotoFetcher`] for the worker, sent once at start.
pub struct PhotoSource(pub Box<dyn PhotoFetcher>);

impl std::fmt::Debug for PhotoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhotoSource")
    }
}

/// What the worker answers; errors are already in words for the screen.
#[derive(Debug)]
pub enum Reply {
    Home {
        village: String,
        quarter: String,
        top: Vec<RankingRow>,
        grid_leaders: Vec<RankingRow>,
        rules: Vec<String>,
        /// Last year's star households (星级文明户), masked names in place order.
        stars: Vec<String>,
        star_year: i32,
        /// This year's sponsors (乡贤榜), the largest gift first.
        sponsors: Vec<String>,
    },
    /// The account, the catalogue, how to greet whoever swiped their card (张大爷), how
    /// many of its vouchers wait for paper, and answers to its disputes not yet told here.
    Account(
        Box<AccountView>,
        Vec<CatalogueItemView>,
        Option<String>,
        usize,
        Vec<DisputeView>,
    ),
    /// An entry's photos (the bytes of those here), and how many are at the township only.
    EntryPhotos {
        entry: String,
        photos: Vec<Vec<u8>>,
        away: usize,
    },
    /// The dispute of an entry, opened now or already open.
    DisputeOpened {
        entry: String,
        dispute: DisputeView,
    },
    /// The household's vouchers printed again now that it is at the kiosk.
    Reprinted(Vec<PrintReport>),
    /// The printer reports itself ready again while this voucher, which did not print,
    /// is on the villager's screen: 重新打印 can be offered.
    PrinterReady(String),
    UnknownCard,
    Redeemed(Box<(RedemptionReceipt, PrintReport)>),
    ClerkIn(String),
    ClerkRefused {
        words: Said,
        locked: bool,
    },
    ClerkData {
        items: Vec<CatalogueItemView>,
        pending: Vec<VoucherView>,
        today: Vec<VoucherView>,
        events_waiting: i64,
        /// Last successful sync and the last problem, in words.
        sync_note: String,
        /// Vouchers redeemed on households' behalf, not yet delivered (oldest first).
        undelivered: Vec<ProxyView>,
    },
    Settled(SettlementReceipt),
    /// Recorded; the screen already shows what it needs.
    Noted,
    /// Done; the words say what happened (printed, restocked…).
    Done(String),
    /// Refused or failed; the words say why.
    Failed(Said),
    /// 代兑换: the household the clerk redeems for, its balance and what it may take.
    ProxyAccount {
        household: String,
        head: String,
        balance: i64,
        items: Vec<CatalogueItemView>,
        /// Who may take it there, the clerk first.
        deliverers: Vec<String>,
    },
}
