//! iamd-store
