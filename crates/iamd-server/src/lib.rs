//! iamd-server
