//! A tiny SMTP server on a loopback port (RFC 5321: greeting, EHLO/HELO,
//! MAIL FROM, RCPT TO, DATA ended by a lone dot, RSET, NOOP, QUIT) that
//! keeps every message it accepts. It can answer 451 to every MAIL FROM (a
//! transient outage), or stop listening altogether (connections refused)
//! and listen again on the same port.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One message as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The DATA, dot-unstuffed, with CRLF line ends.
    pub data: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut out: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                // Unfolding removes the line break only (RFC 5322 §2.2.3).
                if let Some(v) = out.as_mut() {
                    v.push_str(line);
                }
                continue;
            }
            if out.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    out = Some(v.trim().to_owned());
                }
            }
        }
        out
    }

    /// The subject, RFC 2047 words decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("subject").unwrap_or_default())
    }

    /// The body, its Content-Transfer-Encoding (quoted-printable, base64, 7bit, 8bit) decoded.
    pub fn body(&self) -> String {
        let raw = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        let encoding = self.header("content-transfer-encoding").unwrap_or_default().to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => {
                use base64::Engine;
                let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD.decode(compact).expect("base64 body")
            }
            "quoted-printable" => quoted_printable(raw),
            _ => raw.as_bytes().to_vec(),
        };
        String::from_utf8(bytes).expect("UTF-8 body").replace("\r\n", "\n")
    }
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let Some(hex) = s.get(i + 1..i + 3) {
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Decodes `=?utf-8?b?...?=` and `=?utf-8?q?...?=` words.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !before.trim().is_empty() {
            out.push_str(before);
        }
        let after = &rest[start + 2..];
        let parts: Vec<&str> = after.splitn(3, '?').collect();
        if parts.len() < 3 {
            out.push_str(&rest[start..]);
            return out;
        }
        let Some(end) = parts[2].find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &parts[2][..end];
        let bytes = if parts[1].eq_ignore_ascii_case("b") {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &parts[2][end + 2..];
    }
    out.push_str(rest);
    out
}

#[derive(Default)]
struct Shared {
    mails: Mutex<Vec<Mail>>,
    busy: AtomicBool,
    stopped: AtomicBool,
}

pub struct SmtpSim {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSim {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let sim = Self { addr, shared: Arc::default(), thread: Mutex::new(None) };
        sim.listen(listener);
        sim
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn listen(&self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("non-blocking");
        let shared = self.shared.clone();
        shared.stopped.store(false, Ordering::SeqCst);
        let t = std::thread::spawn(move || {
            while !shared.stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let shared = shared.clone();
                        std::thread::spawn(move || {
                            let _ = session(stream, &shared);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        *self.thread.lock().expect("thread") = Some(t);
    }

    /// Closes the listening socket: connections are refused until [`SmtpSim::resume`].
    pub fn stop_listening(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.lock().expect("thread").take() {
            t.join().expect("listener stops");
        }
    }

    /// Listens again on the same port.
    pub fn resume(&self) {
        let listener = TcpListener::bind(self.addr).expect("bind the same port again");
        self.listen(listener);
    }

    /// Answers 451 (try again later) to every MAIL FROM while set.
    pub fn set_busy(&self, busy: bool) {
        self.shared.busy.store(busy, Ordering::SeqCst);
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.shared.mails.lock().expect("mails").clone()
    }
}

impl Drop for SmtpSim {
    fn drop(&mut self) {
        self.stop_listening();
    }
}

fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    out.write_all(b"220 smtp-sim ESMTP ready\r\n")?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end_matches(['\r', '\n']);
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-smtp-sim\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") {
            out.write_all(b"250 smtp-sim\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            if shared.busy.load(Ordering::SeqCst) {
                out.write_all(b"451 4.3.0 try again later\r\n")?;
                continue;
            }
            from = Some(address(&cmd[10..]));
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            if from.is_none() {
                out.write_all(b"503 5.5.1 MAIL first\r\n")?;
                continue;
            }
            to.push(address(&cmd[8..]));
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "DATA" {
            if from.is_none() || to.is_empty() {
                out.write_all(b"503 5.5.1 MAIL and RCPT first\r\n")?;
                continue;
            }
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if input.read_line(&mut l)? == 0 {
                    return Ok(());
                }
                let bare = l.trim_end_matches(['\r', '\n']);
                if bare == "." {
                    break;
                }
                let unstuffed = bare.strip_prefix('.').filter(|_| bare.starts_with("..")).unwrap_or(bare);
                data.push_str(unstuffed);
                data.push_str("\r\n");
            }
            let mail = Mail { from: from.take().unwrap_or_default(), to: std::mem::take(&mut to), data };
            shared.mails.lock().expect("mails").push(mail);
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper == "RSET" {
            from = None;
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "NOOP" {
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 5.5.2 command not implemented\r\n")?;
        }
    }
}

fn address(arg: &str) -> String {
    let a = arg.trim();
    match (a.find('<'), a.find('>')) {
        (Some(start), Some(end)) if end > start => a[start + 1..end].to_owned(),
        _ => a.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}
