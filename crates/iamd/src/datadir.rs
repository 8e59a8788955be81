//! The data directory holds the master key, the bootstrap credentials and the SQLite database:
//! it is private to the user iamd runs as. A directory iamd creates is 0700 (whatever the umask);
//! one that already exists is left as it is (it may be a directory the operator shares on
//! purpose), but iamd warns when other users can enter or read it, or read the database files in
//! it. The files themselves are created 0600: the master key and bootstrap credentials by
//! `serve::write_private`, the database and its `-wal` / `-shm` by the SQLite store.

use std::path::Path;

/// Files in the data directory that must be readable by their owner only.
const PRIVATE_FILES: &[&str] = &[
    "master.key",
    "bootstrap-credentials.json",
    "iamd.db",
    "iamd.db-wal",
    "iamd.db-shm",
];

/// Creates the data directory (mode 0700) if it does not exist; warns if an existing one is open
/// to other users.
pub fn prepare(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        create_private(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        return Ok(());
    }
    if let Some(mode) = open_mode(dir) {
        tracing::warn!(
            path = %dir.display(),
            mode = %format!("{mode:o}"),
            "the data directory is open to other users; it holds the database and may hold the master key: `chmod 700` it"
        );
    }
    Ok(())
}

/// Warns about any of iamd's files in `dir` that other users may read (for instance a database
/// created by an older iamd, owned by another user so that iamd could not narrow it).
pub fn check_files(dir: &Path) {
    for name in PRIVATE_FILES {
        let path = dir.join(name);
        if let Some(mode) = open_mode(&path) {
            tracing::warn!(
                path = %path.display(),
                mode = %format!("{mode:o}"),
                "this file is readable by other users: `chmod 600` it"
            );
        }
    }
}

#[cfg(unix)]
fn create_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    // The umask can only narrow the mode; set it exactly in case it was unusual.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// The permission bits of `path` if group or others have any access (`None` if private or absent).
#[cfg(unix)]
fn open_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_open_one_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/data");
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // Existing directories are left alone, and reported when open.
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&shared).unwrap();
        assert_eq!(mode(&shared), 0o755);
        assert_eq!(open_mode(&shared), Some(0o755));
        assert_eq!(open_mode(&dir), None);
        assert_eq!(open_mode(&tmp.path().join("absent")), None);
    }
}
