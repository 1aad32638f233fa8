//! Headless Chromium (Debian's; scripts/test.sh installs it) opening a
//! report with every host name unresolvable, so nothing could be fetched:
//! its DOM, a screenshot checked not blank by decoding the PNG, and a PDF.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Chromium on `page` with `extra` arguments; `scratch` holds its profile.
pub fn chromium(page: &Path, scratch: &Path, extra: &[&str]) -> Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("chromium").display()
        ))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stderr(Stdio::null())
        .output()
        .expect("chromium is needed for this test (scripts/test.sh installs Debian's chromium)")
}

/// The DOM Chromium built from the page.
pub fn dom(page: &Path, scratch: &Path) -> String {
    String::from_utf8_lossy(&chromium(page, scratch, &["--dump-dom"]).stdout).into_owned()
}

/// Takes a 900×1400 screenshot of the page and asserts it is not blank:
/// decoded, at least 1 % of its pixels differ from the first one.
pub fn assert_screenshot_not_blank(page: &Path, scratch: &Path) {
    let shot = scratch.join("page.png");
    let screenshot = format!("--screenshot={}", shot.display());
    chromium(
        page,
        scratch,
        &[screenshot.as_str(), "--window-size=900,1400"],
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    let (bytes_per_pixel, pixels) = decode_png(&png);
    let first = &pixels[..bytes_per_pixel];
    let count = pixels.len() / bytes_per_pixel;
    let different = pixels
        .chunks_exact(bytes_per_pixel)
        .filter(|p| *p != first)
        .count();
    assert!(
        different * 100 >= count,
        "a rendered page, not a blank one: {different} of {count} pixels differ from the first"
    );
}

/// The pixels of an 8-bit RGB or RGBA PNG, unfiltered: (bytes per pixel,
/// bytes).
fn decode_png(png: &[u8]) -> (usize, Vec<u8>) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let (mut width, mut bytes_per_pixel, mut data) = (0, 0, Vec::new());
    let mut at = 8;
    while at + 8 <= png.len() {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let body = &png[at + 8..at + 8 + length];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
                assert_eq!(body[8], 8, "8 bits per channel");
                bytes_per_pixel = match body[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
            }
            b"IDAT" => data.extend_from_slice(body),
            _ => {}
        }
        at += 12 + length;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..])
        .read_to_end(&mut raw)
        .expect("zlib data");
    let stride = width * bytes_per_pixel;
    let mut pixels: Vec<u8> = Vec::with_capacity(raw.len());
    for (row, line) in raw.chunks_exact(stride + 1).enumerate() {
        let (filter, line) = (line[0], &line[1..]);
        let start = pixels.len();
        for (i, &byte) in line.iter().enumerate() {
            let left = if i >= bytes_per_pixel {
                pixels[start + i - bytes_per_pixel]
            } else {
                0
            };
            let up = if row > 0 {
                pixels[start + i - stride]
            } else {
                0
            };
            let up_left = if row > 0 && i >= bytes_per_pixel {
                pixels[start + i - stride - bytes_per_pixel]
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                other => panic!("PNG filter {other}"),
            };
            pixels.push(byte.wrapping_add(predicted));
        }
    }
    assert!(!pixels.is_empty(), "no pixel decoded");
    (bytes_per_pixel, pixels)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// The page printed to PDF by Chromium.
pub fn print_to_pdf(page: &Path, scratch: &Path) -> Vec<u8> {
    let pdf = scratch.join("page.pdf");
    let print = format!("--print-to-pdf={}", pdf.display());
    chromium(page, scratch, &[print.as_str(), "--no-pdf-header-footer"]);
    std::fs::read(&pdf).unwrap_or_default()
}
