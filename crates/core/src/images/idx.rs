//! MNIST's IDX files (raw or gzip-compressed): a big-endian header (two zero bytes, the element
//! type 0x08 = unsigned byte, the number of dimensions, then each dimension as a u32) followed by
//! the elements. Images are 3-dimensional (count × rows × columns), labels 1-dimensional.
//! Every defect (a missing file, a wrong magic number, a truncated body, trailing bytes) is an
//! [`InputError`] naming the file.

use std::io::Read;
use std::path::Path;

use crate::error::InputError;

/// Largest number of bytes of an IDX body (1 GiB; MNIST's images are 47 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The dimensions (the first is the count of items).
    pub dimensions: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file (gzip detected by its magic bytes 1f 8b); errors name `field` and the file.
pub fn read_idx(path: &Path, field: &str) -> Result<IdxArray, InputError> {
    let fail = |why: String| InputError::new(field, format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path)
        .map_err(|e| fail(format!("cannot be read ({e}); give an existing IDX file")))?;
    let mut head = [0u8; 2];
    let mut reader = std::io::BufReader::new(file);
    use std::io::BufRead;
    let peek = reader
        .fill_buf()
        .map_err(|e| fail(format!("cannot be read ({e})")))?;
    head[..peek.len().min(2)].copy_from_slice(&peek[..peek.len().min(2)]);
    if peek.len() >= 2 && head == [0x1f, 0x8b] {
        parse_idx(
            flate2::read::GzDecoder::new(reader),
            field,
            &path.display().to_string(),
        )
    } else {
        parse_idx(reader, field, &path.display().to_string())
    }
}

/// Parses an IDX stream; `name` is the file's name in error messages.
pub fn parse_idx(mut input: impl Read, field: &str, name: &str) -> Result<IdxArray, InputError> {
    let fail = |why: String| InputError::new(field, format!("{name}: {why}"));
    let mut magic = [0u8; 4];
    input.read_exact(&mut magic).map_err(|e| {
        fail(format!(
            "is too short for an IDX header ({e}); give an MNIST-format file"
        ))
    })?;
    if magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4 {
        return Err(fail(format!(
            "has the magic number {:02x}{:02x}{:02x}{:02x}, not an IDX file of unsigned bytes (00000801 for labels, 00000803 for images); give an MNIST-format file",
            magic[0], magic[1], magic[2], magic[3]
        )));
    }
    let mut dimensions = Vec::with_capacity(magic[3] as usize);
    for k in 0..magic[3] {
        let mut d = [0u8; 4];
        input
            .read_exact(&mut d)
            .map_err(|e| fail(format!("is truncated in the header's dimension {k} ({e})")))?;
        dimensions.push(u32::from_be_bytes(d) as usize);
    }
    let total = dimensions
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&t| t <= MAX_IDX_BYTES)
        .ok_or_else(|| {
            fail(format!(
                "declares dimensions {dimensions:?}, more than {MAX_IDX_BYTES} bytes; give an MNIST-format file"
            ))
        })?;
    let mut data = Vec::with_capacity(total as usize);
    (&mut input)
        .take(total)
        .read_to_end(&mut data)
        .map_err(|e| fail(format!("cannot be decoded ({e})")))?;
    if (data.len() as u64) < total {
        return Err(fail(format!(
            "is truncated: its header {dimensions:?} declares {total} bytes but it holds {}; give the complete file",
            data.len()
        )));
    }
    let mut extra = [0u8; 1];
    if input
        .read(&mut extra)
        .map_err(|e| fail(format!("cannot be decoded ({e})")))?
        > 0
    {
        return Err(fail(format!(
            "has bytes after the {total} its header {dimensions:?} declares; give an unaltered MNIST-format file"
        )));
    }
    Ok(IdxArray { dimensions, data })
}

/// Images with their class labels, as MNIST ships them.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledImages {
    /// Rows of an image (MNIST: 28).
    pub rows: usize,
    /// Columns of an image (MNIST: 28).
    pub columns: usize,
    /// Pixels 0–255, image after image, row-major.
    pub pixels: Vec<u8>,
    /// The class of each image, below `classes`.
    pub classes: Vec<u8>,
}

impl LabelledImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.rows * self.columns;
        &self.pixels[i * size..(i + 1) * size]
    }
}

/// Reads an images file and its labels file (each checked as in [`read_idx`]): images must be
/// 3-dimensional, labels 1-dimensional, the counts equal, every label below `classes`.
pub fn read_labelled_images(
    images: &Path,
    labels: &Path,
    classes: u8,
    field: &str,
) -> Result<LabelledImages, InputError> {
    let image_array = read_idx(images, field)?;
    let label_array = read_idx(labels, field)?;
    labelled_images(image_array, label_array, classes, field, images, labels)
}

/// Checks and pairs an images array with a labels array.
pub(crate) fn labelled_images(
    image_array: IdxArray,
    label_array: IdxArray,
    classes: u8,
    field: &str,
    images: &Path,
    labels: &Path,
) -> Result<LabelledImages, InputError> {
    let &[count, rows, columns] = image_array.dimensions.as_slice() else {
        return Err(InputError::new(
            field,
            format!(
                "{}: has dimensions {:?}, not count × rows × columns (magic 00000803); give an images file",
                images.display(),
                image_array.dimensions
            ),
        ));
    };
    let &[label_count] = label_array.dimensions.as_slice() else {
        return Err(InputError::new(
            field,
            format!(
                "{}: has dimensions {:?}, not a list of labels (magic 00000801); give a labels file",
                labels.display(),
                label_array.dimensions
            ),
        ));
    };
    if label_count != count {
        return Err(InputError::new(
            field,
            format!(
                "{} holds {count} images but {} holds {label_count} labels; give files of the same data set",
                images.display(),
                labels.display()
            ),
        ));
    }
    if rows == 0 || columns == 0 {
        return Err(InputError::new(
            field,
            format!(
                "{}: images of {rows} × {columns} pixels; give non-empty images",
                images.display()
            ),
        ));
    }
    if let Some(i) = label_array.data.iter().position(|&c| c >= classes) {
        return Err(InputError::new(
            field,
            format!(
                "{}: label {} of image {i} is out of range (the classes are 0–{}); give the data set's own labels file",
                labels.display(),
                label_array.data[i],
                classes - 1
            ),
        ));
    }
    Ok(LabelledImages {
        rows,
        columns,
        pixels: image_array.data,
        classes: label_array.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn reads_a_well_formed_array() {
        let bytes = idx(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let a = parse_idx(bytes.as_slice(), "f", "x").unwrap();
        assert_eq!(a.dimensions, vec![2, 2, 3]);
        assert_eq!(a.data[11], 12);
    }

    #[test]
    fn refuses_wrong_magic_truncation_and_trailing_bytes() {
        let mut bad = idx(&[3], &[1, 2, 3]);
        bad[2] = 0x0d; // floats
        let e = parse_idx(bad.as_slice(), "f", "x").unwrap_err().to_string();
        assert!(e.contains("magic number 00000d01"), "{e}");
        let short = idx(&[4], &[1, 2, 3]);
        let e = parse_idx(short.as_slice(), "f", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated") && e.contains("x:"), "{e}");
        let long = idx(&[2], &[1, 2, 3]);
        let e = parse_idx(long.as_slice(), "f", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("after"), "{e}");
        let e = parse_idx(&[0u8, 0][..], "f", "x").unwrap_err().to_string();
        assert!(e.contains("too short"), "{e}");
    }

    #[test]
    fn pairs_images_with_labels_or_says_why_not() {
        let images = parse_idx(idx(&[2, 1, 2], &[0, 1, 2, 3]).as_slice(), "f", "i").unwrap();
        let labels = parse_idx(idx(&[2], &[3, 9]).as_slice(), "f", "l").unwrap();
        let p = Path::new("i");
        let q = Path::new("l");
        let ok = labelled_images(images.clone(), labels.clone(), 10, "f", p, q).unwrap();
        assert_eq!(ok.image(1), &[2, 3]);
        let e = labelled_images(images.clone(), labels.clone(), 5, "f", p, q)
            .unwrap_err()
            .to_string();
        assert!(e.contains("label 9 of image 1 is out of range"), "{e}");
        let three = parse_idx(idx(&[3], &[0, 1, 2]).as_slice(), "f", "l").unwrap();
        let e = labelled_images(images.clone(), three, 10, "f", p, q)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 images") && e.contains("3 labels"), "{e}");
        let e = labelled_images(labels.clone(), labels, 10, "f", q, q)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not count × rows × columns"), "{e}");
    }
}
