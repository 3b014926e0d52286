//! Pictures the kiosk keeps and shows: an item's picture on its catalogue tile (and, with
//! the evidence issue, the photos on a score). Whatever a clerk or a phone hands over, what
//! is stored is a JPEG we wrote ourselves: turned upright, no larger than its bound, and with
//! every metadata block gone — a phone's EXIF carries the GPS position of a villager's house.
//!
//! Pure bytes in, bytes out; the callers store and display.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// How big a stored picture may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The longer side, in pixels.
    pub max_side: u32,
    /// The JPEG's size in bytes.
    pub max_bytes: usize,
}

/// An item's picture: a tile shows it at about 200 px, the confirm screen at about 300.
pub const ITEM_PICTURE: Bound = Bound {
    max_side: 360,
    max_bytes: 64 * 1024,
};

/// A photo on a score (a supervision sheet, the scene): big enough to read the sheet's
/// handwriting on the kiosk's screen, small enough that a village's month of photos
/// crosses a slow link in the background.
pub const EVIDENCE_PHOTO: Bound = Bound {
    max_side: 1280,
    max_bytes: 300 * 1024,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PictureError {
    #[error("not a JPEG or PNG picture")]
    NotAPicture,
    #[error("the picture cannot be read: {0}")]
    Undecodable(String),
    #[error("the picture is {width}×{height} pixels, larger than {limit}×{limit}")]
    TooManyPixels { width: u32, height: u32, limit: u32 },
    #[error("the picture cannot be made smaller than {0} KB")]
    CannotShrink(usize),
}

/// Pixels ready for a screen: straight RGBA, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// A picture as it is kept: re-encoded as JPEG within `bound`, upright, transparency laid
/// on white (a drawing with a clear background stays readable), no metadata.
pub fn normalise(bytes: &[u8], bound: Bound) -> Result<Vec<u8>, PictureError> {
    let mut picture = fit(rgb_on_white(decode(bytes)?), bound.max_side);
    // Quality steps down until the bytes fit; an ordinary picture within its side bound
    // fits long before the last step. One full of fine detail (gravel, foliage, a noisy
    // night shot) is made smaller instead, down to a quarter of the bound's side.
    loop {
        for quality in [85u8, 75, 65, 55, 45, 35] {
            let jpeg = encode_jpeg(&picture, quality)?;
            if jpeg.len() <= bound.max_bytes {
                return Ok(jpeg);
            }
        }
        let side = picture.width().max(picture.height()) * 3 / 4;
        if side < bound.max_side / 4 {
            return Err(PictureError::CannotShrink(bound.max_bytes / 1024));
        }
        picture = fit(picture, side);
    }
}

/// Checks a picture that arrived from elsewhere (a sync record): a JPEG that decodes and
/// keeps within `bound`. Nothing is re-encoded, so every kiosk keeps the same bytes.
pub fn check_stored(bytes: &[u8], bound: Bound) -> Result<(), PictureError> {
    if bytes.len() > bound.max_bytes {
        return Err(PictureError::CannotShrink(bound.max_bytes / 1024));
    }
    if !matches!(image::guess_format(bytes), Ok(ImageFormat::Jpeg)) {
        return Err(PictureError::NotAPicture);
    }
    let picture = decode(bytes)?;
    let (width, height) = (picture.width(), picture.height());
    if width.max(height) > bound.max_side {
        return Err(PictureError::TooManyPixels {
            width,
            height,
            limit: bound.max_side,
        });
    }
    Ok(())
}

/// A stored picture's pixels, for the screen.
pub fn pixels(bytes: &[u8]) -> Result<Pixels, PictureError> {
    let rgba = decode(bytes)?.into_rgba8();
    Ok(Pixels {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// The hex SHA-256 of a stored picture: how clerks and kiosks compare copies.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Sides beyond this are refused before decoding: a 12,000-pixel side is already a 144
/// megapixel picture, and a crafted header must not make us allocate gigabytes.
const MAX_INPUT_SIDE: u32 = 12_000;

/// Transparency laid on white: a drawing with a clear background stays readable.
fn rgb_on_white(image: DynamicImage) -> RgbImage {
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, PictureError> {
    let format = image::guess_format(bytes).map_err(|_| PictureError::NotAPicture)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(PictureError::NotAPicture);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| too_big_or(e, bytes))?;
    // A phone writes a portrait photo sideways and says so in EXIF; the EXIF goes, so the
    // turn is made now.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| too_big_or(e, bytes))?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    Ok(image)
}

fn too_big_or(e: image::ImageError, bytes: &[u8]) -> PictureError {
    if let image::ImageError::Limits(_) = e {
        if let Ok((width, height)) = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| ())
            .and_then(|r| r.into_dimensions().map_err(|_| ()))
        {
            return PictureError::TooManyPixels {
                width,
                height,
                limit: MAX_INPUT_SIDE,
            };
        }
    }
    PictureError::Undecodable(e.to_string())
}

fn fit(picture: RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = picture.dimensions();
    if w.max(h) <= max_side {
        return picture;
    }
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, max_side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, max_side);
    image::imageops::resize(&picture, nw, nh, image::imageops::FilterType::Triangle)
}

fn encode_jpeg(picture: &RgbImage, quality: u8) -> Result<Vec<u8>, PictureError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(picture)
        .map_err(|e| PictureError::Undecodable(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn a_large_png_becomes_a_small_jpeg_within_its_bound() {
        let jpeg = normalise(&png(1600, 900), ITEM_PICTURE).expect("normalised");
        assert!(jpeg.len() <= ITEM_PICTURE.max_bytes);
        let p = pixels(&jpeg).expect("decodes");
        assert_eq!(
            (p.width, p.height),
            (360, 203),
            "the longer side is the bound, the shape kept"
        );
        check_stored(&jpeg, ITEM_PICTURE).expect("what we write, we accept");
    }

    #[test]
    fn what_is_not_a_picture_is_refused_in_words() {
        assert_eq!(normalise(b"hello", ITEM_PICTURE), Err(PictureError::NotAPicture));
        let mut broken = png(40, 40);
        broken.truncate(60);
        assert!(matches!(
            normalise(&broken, ITEM_PICTURE),
            Err(PictureError::Undecodable(_))
        ));
        // A PNG is accepted from a clerk, never from the wire: what travels is our JPEG.
        assert_eq!(check_stored(&png(40, 40), ITEM_PICTURE), Err(PictureError::NotAPicture));
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let img = image::RgbaImage::from_pixel(10, 10, image::Rgba([0, 0, 0, 0]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .expect("png");
        let p = pixels(&normalise(&bytes, ITEM_PICTURE).expect("normalised")).expect("decodes");
        assert!(
            p.rgba[..3].iter().all(|&c| c > 245),
            "clear became white, not black: {:?}",
            &p.rgba[..4]
        );
    }
}
