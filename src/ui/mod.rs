//! The touch kiosk (issue 5): the only module that names Slint. `ui/*.slint` holds one
//! screen per file and `ui/theme.slint` every size and colour; `adapter.rs` binds the
//! `Kiosk` global to the app through `worker.rs`, a thread that owns the app and the
//! printer, so nothing on the UI thread waits for SQLite or paper.

mod adapter;
mod lang;
pub mod screenshots;
mod speech;
pub mod watchdog;
mod words;
mod worker;

use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use slint::ComponentHandle;

use crate::app::{App, Printer};
use crate::devices::InputEvent;
use crate::voice::Speaker;

slint::include_modules!();

pub use adapter::{PRINTER_SILENT_WORDS, PRINTING_SCREEN_BOUND};
pub use watchdog::{Liveness, Watchdog, WORKER_BOUND};
pub use worker::{spawn as spawn_worker, Command, Reply};

/// How often replies and device events are taken onto the UI thread.
const PUMP_INTERVAL: Duration = Duration::from_millis(20);

/// The kiosk's window, bound to a worker that owns the app and the printer.
pub struct KioskUi {
    pub window: KioskWindow,
    adapter: Rc<adapter::Adapter>,
    replies: Receiver<Reply>,
    devices: Receiver<InputEvent>,
    pump_timer: slint::Timer,
    /// The worker's signs of life, for the watchdog.
    pub liveness: Liveness,
    worker: std::thread::JoinHandle<()>,
    /// What the kiosk says; tests read what it said.
    pub speaker: Speaker,
}

impl KioskUi {
    /// Creates the window and starts the worker, with a voice that plays nothing (it
    /// remembers what it would have said). `devices` carries card reads and scans from the
    /// input hub.
    pub fn new(
        app: App,
        printer: impl Printer + Send + 'static,
        devices: Receiver<InputEvent>,
    ) -> Result<Rc<KioskUi>, slint::PlatformError> {
        KioskUi::with_voice(app, printer, devices, Speaker::silent())
    }

    pub fn with_voice(
        app: App,
        printer: impl Printer + Send + 'static,
        devices: Receiver<InputEvent>,
        speaker: Speaker,
    ) -> Result<Rc<KioskUi>, slint::PlatformError> {
        let window = KioskWindow::new()?;
        let (commands, command_rx) = channel();
        let (reply_tx, replies) = channel();
        let liveness = Liveness::default();
        let worker = worker::spawn(app, printer, command_rx, reply_tx, liveness.clone());
        let adapter = adapter::Adapter::bind(&window, commands, speaker.clone());
        Ok(Rc::new(KioskUi {
            window,
            adapter,
            replies,
            devices,
            pump_timer: slint::Timer::default(),
            liveness,
            worker,
            speaker,
        }))
    }

    /// Applies whatever the worker and the devices have sent since the last call.
    pub fn pump(&self) {
        adapter::pump(&self.adapter, &self.replies, &self.devices);
    }

    /// Pumps on a timer of the event loop (what the running kiosk does).
    pub fn start_pumping(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        self.pump_timer
            .start(slint::TimerMode::Repeated, PUMP_INTERVAL, move || {
                if let Some(ui) = me.upgrade() {
                    ui.pump();
                }
            });
    }

    /// Whether the worker thread has ended (it panicked: it never returns while the window lives).
    pub fn worker_gone(&self) -> bool {
        self.worker.is_finished()
    }

    pub fn screen(&self) -> Screen {
        self.window.global::<Kiosk>().get_screen()
    }
}

/// The languages of the screens: Chinese (the source text) first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    ZhCn,
    En,
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Language, String> {
        match s {
            "zh_CN" | "zh" => Ok(Language::ZhCn),
            "en" => Ok(Language::En),
            other => Err(format!("language must be zh_CN or en, not '{other}'")),
        }
    }
}

/// How this kiosk's screens are set up: their language, and the cabinet's layout the home
/// screen draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenSetup {
    pub lang: Language,
    /// The card reader stands left of the QR scanner (seen from the villager).
    pub reader_on_left: bool,
}

/// Switches the screens' language, the `.slint` texts and the Rust side's alike; Slint
/// allows it only once a window exists.
pub fn apply_language(lang: Language) -> Result<(), slint::PlatformError> {
    lang::set(lang);
    let bundle = match lang {
        Language::ZhCn => "",
        Language::En => "en",
    };
    slint::select_bundled_translation(bundle).map_err(|e| slint::PlatformError::Other(e.to_string()))
}

/// Runs the kiosk on the desktop (winit) or the appliance (linuxkms) until the window
/// closes. Tells systemd when it is ready and feeds its watchdog from the UI thread while
/// the worker is alive too, so a frozen screen or a stuck worker gets the kiosk restarted;
/// a worker that died ends the program at once (the unit's `Restart=always` starts it again).
pub fn run(
    app: App,
    printer: impl Printer + Send + 'static,
    devices: Receiver<InputEvent>,
    setup: ScreenSetup,
    speaker: Speaker,
    photos: Option<Box<dyn crate::app::PhotoFetcher>>,
) -> Result<(), slint::PlatformError> {
    let ui = KioskUi::with_voice(app, printer, devices, speaker)?;
    if let Some(source) = photos {
        ui.adapter.give_photo_source(source);
    }
    apply_language(setup.lang)?;
    ui.window.global::<Kiosk>().set_reader_on_left(setup.reader_on_left);
    ui.start_pumping();
    let timer = slint::Timer::default();
    let watchdog = Watchdog {
        liveness: ui.liveness.clone(),
        bound: WORKER_BOUND,
    };
    let fed = watchdog_interval().is_some();
    let me = Rc::downgrade(&ui);
    timer.start(
        slint::TimerMode::Repeated,
        watchdog_interval().unwrap_or(Duration::from_secs(1)),
        move || {
            if me.upgrade().is_some_and(|ui| ui.worker_gone()) {
                tracing::error!("the kiosk worker has died: stopping so that the kiosk is restarted");
                let _ = slint::quit_event_loop();
            } else if fed {
                watchdog.feed();
            }
        },
    );
    ui.window.show()?;
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    slint::run_event_loop()?;
    ui.window.hide()?;
    if ui.worker_gone() {
        return Err(slint::PlatformError::Other("the kiosk worker died".into()));
    }
    Ok(())
}

/// Half of systemd's `WatchdogSec`, when the unit sets one.
fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec / 2))
}
