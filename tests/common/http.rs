//! Raw HTTP for the server's security tests: requests signed (or not) and doctored as an
//! attacker would send them, and a request whose body never comes.

use ed25519_dalek::SigningKey;
use jifen::sync::auth;

pub struct Raw {
    pub status: u16,
    pub body: String,
}

/// Sends a request signed by `key` (or unsigned), optionally with its headers doctored.
pub fn send(
    url: &str,
    method: &str,
    path: &str,
    body: &[u8],
    key: Option<&SigningKey>,
    doctor: impl FnOnce(&mut Vec<(&'static str, String)>),
) -> Raw {
    let mut headers: Vec<(&'static str, String)> = match key {
        Some(k) => {
            let nonce = hex::encode(rand::random::<[u8; 16]>());
            auth::sign(k, method, path, body, chrono::Utc::now().timestamp(), &nonce)
                .pairs()
                .to_vec()
        }
        None => Vec::new(),
    };
    doctor(&mut headers);
    send_with(url, method, path, body, &headers)
}

pub fn send_with(url: &str, method: &str, path: &str, body: &[u8], headers: &[(&'static str, String)]) -> Raw {
    let mut req = ureq::request(method, &format!("{url}{path}"));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = if method == "POST" {
        req.set("content-type", "application/json").send_bytes(body)
    } else {
        req.call()
    };
    match result {
        Ok(r) => Raw {
            status: r.status(),
            body: r.into_string().unwrap(),
        },
        Err(ureq::Error::Status(status, r)) => Raw {
            status,
            body: r.into_string().unwrap_or_default(),
        },
        Err(e) => panic!("transport error: {e}"),
    }
}

pub fn signed_headers(key: &SigningKey, method: &str, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    auth::sign(key, method, path, body, chrono::Utc::now().timestamp(), &nonce)
        .pairs()
        .to_vec()
}

/// Sends a request's headers announcing a body of `length` bytes, sends none of it, and
/// returns what the server answers (its status line first), within five seconds.
pub fn headers_only(url: &str, method: &str, path: &str, length: usize, headers: &[(&'static str, String)]) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

pub fn set(headers: &mut [(&'static str, String)], name: &str, value: String) {
    for h in headers.iter_mut() {
        if h.0 == name {
            h.1 = value.clone();
        }
    }
}
