"""Qualtran bloqs for quantum attention algorithms (one concept per module)."""
