//! `jifen kiosk --screenshots DIR`: every screen drawn by the software renderer (the one
//! the appliance uses) into PNGs named after the screen, with no display. The journey is
//! driven through the real adapter and worker on a copy of the data, so nothing the
//! screenshots do (a redemption, a deduction) touches the village's own database.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{channel, Sender};
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::Model as _;
use slint::{ComponentHandle, PhysicalSize, Rgb8Pixel};

use super::{Kiosk, KioskUi, Problem, Screen};
use crate::app::{App, Printer};
use crate::devices::InputEvent;
use crate::voice::{script, Voice};

/// What a screenshot run measured, for the closing note and the README.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figures {
    pub screens: Vec<String>,
    /// Whether each villager screen's `.wav` was written (no synthesiser: only `.say.txt`).
    pub wav_written: bool,
    /// From `started` (the process's first instruction in `main`) to the first frame drawn.
    pub first_frame_ms: f64,
    /// From a card event arriving to the account screen drawn.
    pub card_to_account_ms: f64,
    pub resident_memory_mb: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error(transparent)]
    Platform(#[from] slint::PlatformError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the screen did not reach {0} in time")]
    Stuck(String),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
}

struct HeadlessPlatform(Rc<MinimalSoftwareWindow>);

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.0.clone())
    }
}

/// The households whose accounts the screenshots show, by their QR cards' tokens (as
/// scanned).
pub struct ShownHouseholds {
    /// One with a full history, which redeems.
    pub rich: String,
    /// One taken below zero by a deduction.
    pub below_zero: String,
}

/// Where and how the screens are drawn, and the voice that says them.
pub struct Sitting<'a> {
    pub dir: &'a Path,
    pub size: (u32, u32),
    pub lang: super::Language,
    /// Writes `<screen>.wav` of what each villager screen says (`<screen>.say.txt` always).
    pub voice: &'a Voice,
}

/// Draws every screen into `sitting.dir`; `started` is when the process started.
pub fn capture(
    app: App,
    printer: impl Printer + Send + 'static,
    sitting: Sitting<'_>,
    households: ShownHouseholds,
    started: Instant,
) -> Result<Figures, ScreenshotError> {
    let Sitting { dir, size, lang, voice } = sitting;
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(HeadlessPlatform(window.clone())))
        .map_err(|e| slint::PlatformError::Other(e.to_string()))?;
    let (device_tx, devices) = channel();
    let ui = KioskUi::new(app, printer, devices)?;
    super::apply_language(lang)?;
    window.set_size(PhysicalSize::new(size.0, size.1));
    ui.window.show()?;
    let mut shot = Shooter {
        window,
        ui,
        devices: device_tx,
        dir: dir.to_path_buf(),
        size,
        taken: Vec::new(),
        voice,
        unspoken: None,
    };
    std::fs::create_dir_all(dir).map_err(|source| ScreenshotError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    // The home screen once the honour roll has arrived.
    shot.wait(|ui| !ui.window.global::<Kiosk>().get_village_name().is_empty(), "home")?;
    shot.frame();
    let first_frame_ms = started.elapsed().as_secs_f64() * 1000.0;
    shot.save("home")?;

    let t = Instant::now();
    shot.send(InputEvent::HouseholdCard {
        token: households.rich.clone(),
    });
    shot.wait(|ui| ui.screen() == Screen::Account, "account")?;
    shot.frame();
    let card_to_account_ms = t.elapsed().as_secs_f64() * 1000.0;
    shot.save("account")?;
    // Left alone 45 s: 还要继续吗？
    shot.ui.window.global::<Kiosk>().set_idle_left(15);
    shot.save("account-still-there")?;
    shot.ui.window.global::<Kiosk>().invoke_touch();
    // The newest entry, opened whole.
    let entries = shot.ui.window.global::<Kiosk>().get_entries();
    if let Some(entry) = slint::Model::row_data(&entries, 0) {
        shot.ui.window.global::<Kiosk>().invoke_open_entry(entry);
        shot.save("entry")?;
        shot.ui.window.global::<Kiosk>().invoke_back_to_account();
    }

    let ui = shot.ui.clone();
    let k = || ui.window.global::<Kiosk>();
    k().invoke_redeem_start();
    shot.save("catalogue")?;
    let items = k().get_items();
    let affordable = (0..slint::Model::row_count(&items))
        .filter_map(|i| slint::Model::row_data(&items, i))
        .find(|i| i.affordable && i.in_stock);
    if let Some(item) = affordable {
        k().invoke_choose(item);
        shot.save("confirm")?;
        k().set_screen(Screen::Printing);
        shot.save("printing")?;
        k().set_screen(Screen::Confirm);
        k().invoke_confirm();
        shot.wait(|ui| matches!(ui.screen(), Screen::Done | Screen::Problem), "done")?;
        shot.save("done")?;
        // A printer that cannot report: the villager is asked.
        k().set_printed(false);
        k().set_ask_came_out(true);
        shot.save("done-ask")?;
        // The paper did not come out: the redemption still went through, the serial is kept.
        k().set_ask_came_out(false);
        super::adapter::set_print_note(&k(), &super::lang::Said::words("缺纸，请联系管理员"));
        shot.save("done-kept")?;
        super::adapter::set_print_note(&k(), &super::lang::Said::default());
    }
    shot.send(InputEvent::HouseholdCard {
        token: households.below_zero.clone(),
    });
    shot.wait(|ui| !ui.window.global::<Kiosk>().get_can_redeem(), "account below zero")?;
    shot.save("account-below-zero")?;
    // An entry with its supervision sheet's photo, the question of 我有疑问, and its answer.
    let entries = k().get_entries();
    let photographed = (0..slint::Model::row_count(&entries))
        .filter_map(|i| slint::Model::row_data(&entries, i))
        .find(|e| e.photos > 0);
    if let Some(entry) = photographed {
        k().invoke_open_entry(entry);
        shot.wait(
            |ui| ui.window.global::<Kiosk>().get_entry_photos().row_count() > 0,
            "entry photos",
        )?;
        shot.save("entry-photo")?;
        k().set_dispute_asking(true);
        k().invoke_dispute_question();
        shot.save("entry-asking")?;
        k().set_dispute_asking(false);
        k().invoke_dispute_confirmed();
        shot.wait(
            |ui| ui.window.global::<Kiosk>().get_opened_entry().asked,
            "dispute recorded",
        )?;
        shot.save("entry-disputed")?;
        k().invoke_back_to_account();
    }
    for (name, problem, detail) in [
        ("problem-unknown-card", Problem::UnknownCard, ""),
        ("problem-printer", Problem::Printer, "缺纸，请联系管理员"),
        ("problem-reader", Problem::ReaderUnplugged, ""),
    ] {
        k().set_problem(problem);
        super::adapter::set_problem_detail(&k(), &super::lang::Said::words(detail));
        k().set_screen(Screen::Problem);
        shot.save(name)?;
    }
    k().invoke_go_home();
    k().invoke_clerk_start();
    let pin = crate::app::demo::DEMO_CLERK_PIN;
    let (first, rest) = pin.split_at(pin.len() / 2);
    for d in first.chars() {
        k().invoke_pin_digit(d.to_string().into());
    }
    shot.save("clerk-pin")?;
    for d in rest.chars() {
        k().invoke_pin_digit(d.to_string().into());
    }
    k().invoke_pin_enter();
    shot.wait(|ui| ui.screen() == Screen::ClerkMenu, "clerk menu")?;
    shot.settle_replies();
    shot.save("clerk-menu")?;
    for (name, screen) in [
        ("clerk-items", Screen::ClerkItems),
        ("clerk-vouchers", Screen::ClerkVouchers),
        ("clerk-settle", Screen::ClerkSettle),
        ("clerk-statement", Screen::ClerkStatement),
        ("clerk-today", Screen::ClerkToday),
    ] {
        k().invoke_clerk_open(screen);
        shot.settle_replies();
        shot.save(name)?;
    }
    // 代兑换: the card read for a household that cannot come, its items, and the answer.
    // (On the scratch copy: the redemption is never made in the village's own database.)
    k().invoke_clerk_open(Screen::ClerkProxy);
    shot.settle_replies();
    shot.save("clerk-proxy")?;
    shot.send(InputEvent::HouseholdCard {
        token: households.rich.clone(),
    });
    shot.wait(
        |ui| ui.window.global::<Kiosk>().get_proxy_items().row_count() > 0,
        "proxy household",
    )?;
    shot.save("clerk-proxy-household")?;
    let items = k().get_proxy_items();
    let takeable = (0..slint::Model::row_count(&items))
        .filter_map(|i| slint::Model::row_data(&items, i))
        .find(|i| i.affordable && i.in_stock && i.funded);
    if let Some(item) = takeable {
        k().invoke_proxy_redeem(item.code);
        shot.wait(
            |ui| {
                let said = ui.window.global::<Kiosk>().get_clerk_message();
                !said.is_empty()
                    && said != super::lang::tr("正在代兑换……").as_str()
                    && ui.window.global::<Kiosk>().get_undelivered().row_count() > 0
            },
            "proxy redeemed, waiting to be delivered",
        )?;
        shot.save("clerk-proxy-done")?;
    }
    let resident_memory_mb = resident_memory_mb();
    if let Some(why) = &shot.unspoken {
        tracing::warn!(reason = %why, "screens' .wav files not written");
    }
    Ok(Figures {
        wav_written: shot.unspoken.is_none(),
        screens: shot.taken,
        first_frame_ms,
        card_to_account_ms,
        resident_memory_mb,
    })
}

struct Shooter<'a> {
    window: Rc<MinimalSoftwareWindow>,
    ui: Rc<KioskUi>,
    devices: Sender<InputEvent>,
    dir: PathBuf,
    size: (u32, u32),
    taken: Vec<String>,
    voice: &'a Voice,
    /// Why a screen's words could not be made into sound, the first time it happened.
    unspoken: Option<String>,
}

impl Shooter<'_> {
    fn send(&self, event: InputEvent) {
        let _ = self.devices.send(event);
    }

    /// Pumps replies until `done` holds, for at most five seconds.
    fn wait(&self, done: impl Fn(&KioskUi) -> bool, what: &str) -> Result<(), ScreenshotError> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            self.ui.pump();
            if done(&self.ui) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(ScreenshotError::Stuck(what.to_string()))
    }

    /// Lets the worker answer what the last action asked for.
    fn settle_replies(&self) {
        std::thread::sleep(Duration::from_millis(150));
        self.ui.pump();
    }

    fn frame(&self) -> Vec<Rgb8Pixel> {
        slint::platform::update_timers_and_animations();
        let (w, h) = self.size;
        let mut buffer = vec![Rgb8Pixel::new(0, 0, 0); (w * h) as usize];
        self.window.request_redraw();
        self.window.draw_if_needed(|renderer| {
            renderer.render(&mut buffer, w as usize);
        });
        buffer
    }

    fn save(&mut self, name: &str) -> Result<(), ScreenshotError> {
        let buffer = self.frame();
        let path = self.dir.join(format!("{name}.png"));
        let failed = |source| ScreenshotError::Write {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::create(&path).map_err(failed)?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.size.0, self.size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Committed to the repository: worth the extra milliseconds to be small.
        encoder.set_compression(png::Compression::Best);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let bytes: Vec<u8> = buffer.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
        encoder
            .write_header()
            .and_then(|mut w| w.write_image_data(&bytes))
            .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
        self.taken.push(name.to_string());
        self.save_speech(name)
    }

    /// `<name>.say.txt`: what the screen says, in characters; `<name>.wav`: how it sounds.
    fn save_speech(&mut self, name: &str) -> Result<(), ScreenshotError> {
        let scene = super::speech::scene(&self.ui.window.global::<Kiosk>());
        let words = script(&scene);
        if words.is_empty() {
            return Ok(());
        }
        let text_path = self.dir.join(format!("{name}.say.txt"));
        std::fs::write(&text_path, format!("{}\n", words.text())).map_err(|source| ScreenshotError::Write {
            path: text_path.clone(),
            source,
        })?;
        if self.unspoken.is_some() {
            return Ok(());
        }
        match self.voice.render(&words) {
            Ok((sound, _)) => {
                let wav = self.dir.join(format!("{name}.wav"));
                std::fs::write(&wav, sound.to_wav_bytes())
                    .map_err(|source| ScreenshotError::Write { path: wav, source })
            }
            Err(e) => {
                self.unspoken = Some(e.to_string());
                Ok(())
            }
        }
    }
}

/// VmRSS of this process, from /proc.
fn resident_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
