//! The touch kiosk (issue 5): the only module that names Slint. `ui/*.slint` holds one
//! screen per file and `ui/theme.slint` every size and colour; `adapter.rs` binds the
//! `Kiosk` global to the app through `worker.rs`, a thread that owns the app and the
//! printer, so nothing on the UI thread waits for SQLite or paper.

mod adapter;
pub mod screenshots;
mod worker;

use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use slint::ComponentHandle;

use crate::app::{App, Printer};
use crate::devices::InputEvent;

slint::include_modules!();

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
}

impl KioskUi {
    /// Creates the window and starts the worker, which first reprints any voucher left
    /// unconfirmed. `devices` carries card reads and scans from the input hub.
    pub fn new(
        app: App,
        printer: impl Printer + Send + 'static,
        devices: Receiver<InputEvent>,
    ) -> Result<Rc<KioskUi>, slint::PlatformError> {
        let window = KioskWindow::new()?;
        let (commands, command_rx) = channel();
        let (reply_tx, replies) = channel();
        worker::spawn(app, printer, command_rx, reply_tx);
        let adapter = adapter::Adapter::bind(&window, commands);
        Ok(Rc::new(KioskUi {
            window,
            adapter,
            replies,
            devices,
            pump_timer: slint::Timer::default(),
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

/// Switches the screens' language; Slint allows it only once a window exists.
fn apply_language(lang: Language) -> Result<(), slint::PlatformError> {
    match lang {
        Language::ZhCn => Ok(()),
        Language::En => slint::select_bundled_translation("en").map_err(|e| slint::PlatformError::Other(e.to_string())),
    }
}

/// Runs the kiosk on the desktop (winit) or the appliance (linuxkms) until the window
/// closes. Tells systemd when it is ready and keeps its watchdog fed from the UI thread,
/// so a frozen screen gets the kiosk restarted.
pub fn run(
    app: App,
    printer: impl Printer + Send + 'static,
    devices: Receiver<InputEvent>,
    lang: Language,
) -> Result<(), slint::PlatformError> {
    let ui = KioskUi::new(app, printer, devices)?;
    apply_language(lang)?;
    ui.start_pumping();
    let watchdog = slint::Timer::default();
    if let Some(interval) = watchdog_interval() {
        watchdog.start(slint::TimerMode::Repeated, interval, || {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        });
    }
    ui.window.show()?;
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    slint::run_event_loop()?;
    ui.window.hide()
}

/// Half of systemd's `WatchdogSec`, when the unit sets one.
fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec / 2))
}
