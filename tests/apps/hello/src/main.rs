//! The app the end-to-end tests push with the binary buildpack: an HTTP/1.1 server on `$PORT`
//! with no dependencies, so the droplet is one executable.
//!
//! - `GET /` answers JSON: `instance_index` (from `CF_INSTANCE_INDEX`), `port`, `greeting`
//!   (`$GREETING`, for `cf set-env`), `version` (`$APP_VERSION`, a re-push changes it) and
//!   `vcap_application` and `vcap_services` (the raw `VCAP_APPLICATION` and `VCAP_SERVICES`),
//!   and logs one line per request to stdout,
//!   which `cf logs` shows as `[APP/PROC/WEB/n]`.
//! - `GET /exit` answers, then exits with status 3: the crash the tests watch Diego restart.
#![forbid(unsafe_code)]

use std::{
    env,
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    process, thread,
};

fn main() {
    let port = env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = match TcpListener::bind(("0.0.0.0", port.parse::<u16>().unwrap_or(8080))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hello-app: cannot listen on port {port}: {e}");
            process::exit(1);
        }
    };
    println!("hello-app listening on port {port}");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || serve(stream));
    }
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    // A TCP health check connects and closes without a request: nothing to answer or log.
    if reader.read_line(&mut request_line).is_err() || request_line.trim().is_empty() {
        return;
    }
    // The headers are read and ignored: every answer closes the connection.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let index = env::var("CF_INSTANCE_INDEX").unwrap_or_default();
    println!("hello-app instance {index}: {}", request_line.trim_end());
    let (status, body) = if path == "/exit" {
        ("200 OK", "exiting with status 3\n".to_owned())
    } else {
        ("200 OK", report(&index))
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    if path == "/exit" {
        println!("hello-app instance {index}: exiting with status 3 as asked");
        process::exit(3);
    }
}

fn report(index: &str) -> String {
    let var = |name: &str| env::var(name).unwrap_or_default();
    format!(
        "{{\"instance_index\":{},\"port\":{},\"greeting\":{},\"version\":{},\"vcap_application\":{},\"vcap_services\":{}}}\n",
        json_string(index),
        json_string(&var("PORT")),
        json_string(&var("GREETING")),
        json_string(&var("APP_VERSION")),
        json_string(&var("VCAP_APPLICATION")),
        json_string(&var("VCAP_SERVICES")),
    )
}

/// A JSON string literal (the app has no dependencies, so no serde).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("x\ny"), r#""x\u000ay""#);
    }
}
