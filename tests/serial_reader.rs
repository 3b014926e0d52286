//! The card reader over real pseudo-terminals: the kiosk's reader thread opens the pty
//! like a serial port and the simulator answers with the real GA/T 467 bytes.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use jifen::devices::idcard::serial::{spawn_reader, ReaderConfig, ReaderStats};
use jifen::devices::idcard::simulator::PtyReader;
use jifen::devices::InputEvent;
use jifen::domain::id_number::IdNumber;

struct Kiosk {
    events: Receiver<InputEvent>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<ReaderStats>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Kiosk {
    fn start(path: &std::path::Path) -> Kiosk {
        let (tx, events) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(ReaderStats::default()));
        let mut config = ReaderConfig::new(path);
        config.poll_interval = Duration::from_millis(100);
        config.reply_timeout = Duration::from_millis(300);
        let thread = spawn_reader(config, tx, stop.clone(), stats.clone());
        Kiosk {
            events,
            stop,
            stats,
            thread: Some(thread),
        }
    }

    /// The next event other than device lost/back, within `secs`.
    fn next_card(&self, secs: u64) -> Option<InputEvent> {
        let end = std::time::Instant::now() + Duration::from_secs(secs);
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(e @ InputEvent::CardRead { .. }) => return Some(e),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    fn wait_for(&self, secs: u64, want: impl Fn(&InputEvent) -> bool) -> bool {
        let end = std::time::Instant::now() + Duration::from_secs(secs);
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(e) if want(&e) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_card_on_a_pty_reader_is_reported_once_then_again_after_lifting() {
    let sim = PtyReader::start().unwrap();
    let kiosk = Kiosk::start(sim.path());
    sim.place(card(4));
    let Some(InputEvent::CardRead { id_number: read, name }) = kiosk.next_card(5) else {
        panic!("no card read over the pty");
    };
    assert_eq!(read, IdNumber::parse(&id_number(4)).unwrap());
    assert_eq!(name, "户主4");
    assert!(
        kiosk.next_card(1).is_none(),
        "a card left on the reader is not reported again"
    );
    sim.lift();
    std::thread::sleep(Duration::from_millis(400));
    sim.place(card(5));
    let Some(InputEvent::CardRead { name, .. }) = kiosk.next_card(5) else {
        panic!("the second card was not read");
    };
    assert_eq!(name, "户主5");
}

#[test]
fn noise_on_the_line_is_counted_and_cards_are_still_read() {
    let sim = PtyReader::start().unwrap();
    *sim.noise.lock().unwrap() = vec![0x00, 0xAA, 0xAA, 0x13, 0x96, 0xFF];
    let kiosk = Kiosk::start(sim.path());
    sim.place(card(6));
    assert!(kiosk.next_card(5).is_some(), "the card is read through the noise");
    assert!(kiosk.stats.lock().unwrap().garbage_bytes >= 6);
}

#[test]
fn an_unplugged_reader_is_reopened_when_it_comes_back() {
    let tmp = tempfile::tempdir().unwrap();
    // A stable name, as udev rules give (/dev/jifen-idcard), pointing at the current pty.
    let link = tmp.path().join("jifen-idcard");
    let first = PtyReader::start().unwrap();
    std::os::unix::fs::symlink(first.path(), &link).unwrap();
    let kiosk = Kiosk::start(&link);
    first.place(card(1));
    assert!(kiosk.next_card(5).is_some());
    // Unplugged: the pty closes and the name disappears.
    drop(first);
    std::fs::remove_file(&link).unwrap();
    assert!(
        kiosk.wait_for(5, |e| matches!(e, InputEvent::DeviceLost { .. })),
        "the loss is reported"
    );
    // Plugged back: a new pty under the same name.
    let second = PtyReader::start().unwrap();
    std::os::unix::fs::symlink(second.path(), &link).unwrap();
    assert!(
        kiosk.wait_for(8, |e| matches!(e, InputEvent::DeviceBack { .. })),
        "the return is reported"
    );
    second.place(card(2));
    let Some(InputEvent::CardRead { name, .. }) = kiosk.next_card(5) else {
        panic!("no card after reconnecting");
    };
    assert_eq!(name, "户主2");
    assert!(kiosk.stats.lock().unwrap().reconnects >= 1);
}

#[test]
fn the_cli_reads_a_card_from_the_simulator_and_prints_it_masked() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut sim = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["devices", "simulate-reader"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut path = String::new();
    BufReader::new(sim.stdout.take().unwrap()).read_line(&mut path).unwrap();
    let mut stdin = sim.stdin.take().unwrap();
    writeln!(stdin, "place 1").unwrap();
    stdin.flush().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args([
            "devices",
            "read-card",
            "--port",
            path.trim(),
            "--timeout",
            "5",
            "--json",
        ])
        .output()
        .unwrap();
    drop(stdin);
    let _ = sim.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = jifen::app::demo::demo_id_number(0, 0);
    assert_eq!(report["id_last4"], &id[14..]);
    assert_eq!(report["id_number"], format!("{}********{}", &id[..6], &id[14..]));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&id[..14]),
        "never in clear"
    );
}

#[test]
fn read_card_says_in_one_line_when_the_port_cannot_be_opened_or_no_card_comes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args([
            "devices",
            "read-card",
            "--port",
            "/dev/does-not-exist",
            "--timeout",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: cannot open the card reader at /dev/does-not-exist"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let sim = PtyReader::start().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args([
            "devices",
            "read-card",
            "--port",
            sim.path().to_str().unwrap(),
            "--timeout",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no card was read within 1 s"));
}

#[test]
fn the_input_hub_merges_card_reader_and_serial_qr_scanner_events() {
    use jifen::devices::hub::InputHub;
    use jifen::installation::DevicesConfig;
    let reader = PtyReader::start().unwrap();
    let mut scanner = jifen::devices::pty::PtyMaster::open().unwrap();
    let hub = InputHub::start(&DevicesConfig {
        idcard: Some(reader.path().to_path_buf()),
        qr: Some(scanner.path().to_path_buf()),
        qr_baud: Some(9600),
        ..Default::default()
    });
    // Give the scanner thread time to open its port before bytes are sent.
    std::thread::sleep(Duration::from_millis(300));
    scanner
        .write_all(b"YTH001-9UXJHP\r\nJFV1|YT-000001-7|NOODLE|20|20270101|c2ln\r\n")
        .unwrap();
    reader.place(card(3));
    let mut seen = Vec::new();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while seen.len() < 3 && std::time::Instant::now() < end {
        if let Ok(e) = hub.events.recv_timeout(Duration::from_millis(200)) {
            seen.push(e);
        }
    }
    assert!(
        seen.contains(&InputEvent::HouseholdCard {
            token: "YTH001-9UXJHP".into()
        }),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, InputEvent::VoucherScanned { payload } if payload.starts_with("JFV1|YT-000001-7"))),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, InputEvent::CardRead { name, .. } if name == "户主3")),
        "{seen:?}"
    );
}

#[test]
fn the_kiosk_opens_the_account_of_a_card_placed_on_its_configured_reader() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let sim = PtyReader::start().unwrap();
    let config = tmp.path().join("jifen.toml");
    std::fs::write(&config, format!("[devices]\nidcard = \"{}\"\n", sim.path().display())).unwrap();
    let mut kiosk = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .arg("--config")
        .arg(&config)
        .args(["kiosk", "--console", "--demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = IdNumber::parse(&jifen::app::demo::demo_id_number(0, 0)).unwrap();
    let mut demo_card = card(1);
    demo_card.id_number = id;
    sim.place(demo_card);
    // Collect the screen as it is printed; answer once the account is shown.
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = kiosk.stdout.take().unwrap();
    let collector = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !screen.lock().unwrap().contains("输入编号兑换") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdin = kiosk.stdin.take().unwrap();
    writeln!(stdin).unwrap();
    writeln!(stdin, "q").unwrap();
    drop(stdin);
    let out = kiosk.wait_with_output().unwrap();
    collector.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(screen.contains("堰头村 YT-001 户"), "{screen}");
    assert!(screen.contains("积分余额"), "{screen}");
}
