//! Claim (reliability issue, item 7): "a full disk leaves some outputs of a run but not all" must
//! not happen: on a full file system an output set fails as a whole — the previous set stays as
//! it was and no temporary file or staging folder remains. Tested on a real 1 MiB tmpfs (needs
//! root and `mount`; where mounting is refused the test says so and checks nothing, unless
//! `STARVATION_REQUIRE_TMPFS=1`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use starvation::output::{OutputSet, prepare_output_dir, write_atomic};

/// A 1 MiB tmpfs mounted on a fresh temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(Self { dir })
        } else if std::env::var_os("STARVATION_REQUIRE_TMPFS").is_some() {
            panic!("cannot mount a tmpfs and STARVATION_REQUIRE_TMPFS is set");
        } else {
            eprintln!("skipped: cannot mount a tmpfs here (run as root to test full disks)");
            None
        }
    }
    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn old_set(out: &Path) {
    let mut set = OutputSet::begin(out).unwrap();
    set.write("s.json", b"old json").unwrap();
    set.write("s.csv", b"old csv").unwrap();
    set.commit().unwrap();
}

fn assert_old_set_only(out: &Path) {
    assert_eq!(listing(out), ["s.csv", "s.json"]);
    assert_eq!(std::fs::read(out.join("s.json")).unwrap(), b"old json");
    assert_eq!(std::fs::read(out.join("s.csv")).unwrap(), b"old csv");
}

#[test]
fn a_set_larger_than_the_disk_fails_whole() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let out = disk.path();
    prepare_output_dir(&out).unwrap();
    old_set(&out);
    let outcome = (|| {
        let mut set = OutputSet::begin(&out)?;
        set.write("s.json", &[b'j'; 600 << 10])?;
        set.write("s.csv", &[b'c'; 600 << 10])?;
        set.commit()
    })();
    let err = outcome.unwrap_err().to_string();
    assert!(err.contains("s.csv"), "{err}");
    assert_old_set_only(&out);
}

#[test]
fn a_disk_filling_up_just_before_the_commit_fails_whole() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let out = disk.path();
    old_set(&out);
    let mut set = OutputSet::begin(&out).unwrap();
    set.write("s.json", b"new json").unwrap();
    set.write("s.csv", b"new csv").unwrap();
    // Someone else fills the disk to the last byte.
    let filler = out.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    while f.write_all(&[0u8; 4096]).is_ok() {}
    while f.write_all(&[0u8]).is_ok() {}
    drop(f);
    let err = set.commit().unwrap_err().to_string();
    assert!(err.contains(".commit"), "{err}");
    std::fs::remove_file(&filler).unwrap();
    assert_old_set_only(&out);
}

#[test]
fn a_single_atomic_file_keeps_its_old_bytes_on_a_full_disk() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let out = disk.path();
    let p = out.join("s.json");
    write_atomic(&p, b"old").unwrap();
    let err = write_atomic(&p, &[b'x'; 2 << 20]).unwrap_err().to_string();
    assert!(err.contains("s.json"), "{err}");
    assert_eq!(listing(&out), ["s.json"]);
    assert_eq!(std::fs::read(&p).unwrap(), b"old");
}
