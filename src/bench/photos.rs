//! `jifen bench --photos`: evidence photos over loopback. Figures: how fast a kiosk fetches
//! and verifies a village's photos (photos/s, MB/s), and, for a link cut halfway through,
//! the time from the link's return to the last photo verified (the next round only: the
//! kiosk's back-off before that round is not counted).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::engines::{on_each_engine, Engine, Figures};
use super::village::{kiosk_client, new_kiosk, register, village_kiosk};
use super::BenchArgs;
use crate::app::{Photo, DEFAULT_PHOTO_CACHE_BYTES};
use crate::domain::clock::Clock;
use crate::sync::server::{start_in_background, Limits, ServerState};
use crate::sync::sync_once;
use crate::township::TownshipAward;

#[derive(Serialize)]
struct PhotoFigures {
    photos: usize,
    megabytes: f64,
    fetch_seconds: f64,
    photos_per_second: f64,
    megabytes_per_second: f64,
    /// Photos already whole when the link was cut.
    fetched_before_cut: usize,
    return_to_last_verified_seconds: f64,
    setup_seconds: f64,
}

pub(super) fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    on_each_engine(args, |engine, folder, clock| measure(args, engine, folder, clock))
}

fn measure(args: &BenchArgs, engine: &Engine, folder: &Path, clock: &Arc<dyn Clock>) -> anyhow::Result<PhotoFigures> {
    let setup = Instant::now();
    let township = engine.storage.clone();
    // The per-kiosk rate limit is lifted: this measures the photo path, not the limiter
    // (which in the field caps one kiosk at 50 chunks of 64 KB a second, about 3 MB/s).
    let unlimited = Limits {
        per_device_per_second: 1e6,
        ..Limits::default()
    };
    let state = ServerState::new(township.clone(), clock.clone())?.with_limits(unlimited);
    let (url, runtime) = start_in_background(state)?;
    let key = township.township_key()?.verifying_key();
    let households = args.photo_count.max(1);
    // The township's staff record a deduction with a photo of its sheet for each household.
    let (mut first, _) = village_kiosk(folder, "PH", households, 0, clock)?;
    register(township.as_ref(), "PH", &mut first, households)?;
    let mut bytes = 0usize;
    for h in 0..households {
        let receipt = township.award(
            "PH",
            &TownshipAward {
                household: format!("PH-{h:05}"),
                rule: "D16".into(),
                points: None,
                note: Some("督导单已拍照".into()),
                by: "网格员".into(),
                photos: vec![Photo {
                    name: format!("sheet-{h}.png"),
                    bytes: crate::app::demo_evidence::sheet_picture(h as u64),
                }],
                ..TownshipAward::default()
            },
        )?;
        for e in &receipt.entry.evidence {
            bytes += township.photo("PH", &e.sha256)?.map_or(0, |b| b.len());
        }
    }
    // The points first, with no room for photos; then the photos alone are timed.
    first.set_photo_cache_bytes(0);
    let client = kiosk_client(&url, &first, key)?;
    sync_once(&mut first, &client)?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    first.set_photo_cache_bytes(DEFAULT_PHOTO_CACHE_BYTES.max(bytes as i64 * 2));
    let started = Instant::now();
    let report = sync_once(&mut first, &client)?;
    let fetch_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.photos_waiting == 0,
        "photos left waiting: {}",
        report.photos_waiting
    );

    // A second kiosk of the village, through a link that is cut halfway through the photos.
    let (mut second, _) = new_kiosk(&folder.join("second"), "PH", clock)?;
    township.add_device(
        "PH",
        "二号机",
        &crate::sync::auth::public_key_text(&second.device_signing_key().verifying_key()),
        None,
    )?;
    second.set_photo_cache_bytes(0);
    let direct = kiosk_client(&url, &second, key)?;
    sync_once(&mut second, &direct)?;
    second.set_photo_cache_bytes(DEFAULT_PHOTO_CACHE_BYTES.max(bytes as i64 * 2));
    let link = CuttableLink::start(&url, bytes / 2)?;
    let through = kiosk_client(&link.url, &second, key)?;
    let cut = sync_once(&mut second, &through);
    anyhow::ensure!(cut.is_err(), "the link was not cut");
    let fetched_before_cut = households - second.missing_photos(usize::MAX >> 1)?.len();
    link.restore();
    let returned = Instant::now();
    let report = sync_once(&mut second, &through)?;
    let return_to_last_verified_seconds = returned.elapsed().as_secs_f64();
    anyhow::ensure!(report.photos_waiting == 0, "photos left waiting after the cut");
    drop(runtime);
    let megabytes = bytes as f64 / (1024.0 * 1024.0);
    Ok(PhotoFigures {
        photos: households,
        megabytes,
        fetch_seconds,
        photos_per_second: households as f64 / fetch_seconds,
        megabytes_per_second: megabytes / fetch_seconds,
        fetched_before_cut,
        return_to_last_verified_seconds,
        setup_seconds,
    })
}

impl Figures for PhotoFigures {
    fn print(&self) {
        println!(
            "fetch  {} photos ({:.1} MB) in {:.2} s ({:.0} photos/s, {:.1} MB/s), each verified",
            self.photos, self.megabytes, self.fetch_seconds, self.photos_per_second, self.megabytes_per_second
        );
        println!(
            "cut    link cut halfway ({} photos whole before it); back to the last photo verified in {:.2} s",
            self.fetched_before_cut, self.return_to_last_verified_seconds
        );
        println!(
            "(setup {:.1} s, not counted; the per-kiosk rate limit lifted, which in the field caps photos near 3 MB/s)",
            self.setup_seconds
        );
    }

    fn compared(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("photo fetch", self.fetch_seconds),
            ("after the cut", self.return_to_last_verified_seconds),
        ]
    }
}

/// A TCP relay to the township that drops every connection once `cut_after` bytes have
/// come back through it, and refuses new ones until restored: a link cut mid-transfer.
struct CuttableLink {
    url: String,
    cut: Arc<AtomicBool>,
    /// Bytes after which the link is cut; past `restore`, never again.
    limit: Arc<AtomicUsize>,
}

impl CuttableLink {
    fn start(target: &str, cut_after: usize) -> anyhow::Result<CuttableLink> {
        let upstream = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let cut = Arc::new(AtomicBool::new(false));
        let relayed = Arc::new(AtomicUsize::new(0));
        let limit = Arc::new(AtomicUsize::new(cut_after));
        let (flag, max) = (cut.clone(), limit.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if flag.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                // Without this, Nagle's algorithm meets the peer's delayed ACK at every
                // relayed answer and each request waits 40 ms: the relay's cost, not the kiosk's.
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (c2, s2) = match (client.try_clone(), server.try_clone()) {
                    (Ok(c), Ok(s)) => (c, s),
                    _ => continue,
                };
                std::thread::spawn(move || pipe(client, server, None));
                let (flag, relayed, max) = (flag.clone(), relayed.clone(), max.clone());
                std::thread::spawn(move || pipe(s2, c2, Some((flag, relayed, max))));
            }
        });
        Ok(CuttableLink { url, cut, limit })
    }

    fn restore(&self) {
        self.limit.store(usize::MAX, Ordering::SeqCst);
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// The answering side's cut: the link's flag, the bytes relayed so far, and the limit.
type Cut = (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>);

/// Copies `from` into `to`; on the answering side, counts bytes and cuts past the limit.
fn pipe(mut from: TcpStream, mut to: TcpStream, cut: Option<Cut>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((flag, relayed, limit)) = &cut {
            let over = relayed.fetch_add(n, Ordering::SeqCst).saturating_add(n) > limit.load(Ordering::SeqCst);
            if flag.load(Ordering::SeqCst) || (over && !flag.swap(true, Ordering::SeqCst)) {
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
