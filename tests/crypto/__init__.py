"""Tests for conexor.crypto."""
