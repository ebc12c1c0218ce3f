//! QR codes of survey links, for posters at service halls: SVG (scales for print) and PNG.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

use super::ExportError;

/// Quiet zone around the code, in modules (the standard asks for four).
const QUIET: usize = 4;

fn code(url: &str) -> Result<QrCode, ExportError> {
    // Level M survives a printed poster's scuffs and keeps the code small.
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
}

pub fn svg(url: &str) -> Result<String, ExportError> {
    Ok(code(url)?
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// A black-on-white PNG with `scale` pixels per module.
pub fn png(url: &str, scale: usize) -> Result<Vec<u8>, ExportError> {
    let qr = code(url)?;
    let modules = qr.width();
    let colors = qr.to_colors();
    let side = (modules + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * scale..(my + 1) * scale {
                pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_png_render_the_same_code() {
        let url = "https://pingyi.example.gov.cn/s/AbCdEf1234";
        let svg = svg(url).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
        let png = png(url, 8).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let reader = decoder.read_info().unwrap();
        let side = (code(url).unwrap().width() + 2 * QUIET) * 8;
        assert_eq!(
            (reader.info().width as usize, reader.info().height as usize),
            (side, side)
        );
    }
}
