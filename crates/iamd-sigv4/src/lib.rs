//! iamd-sigv4
