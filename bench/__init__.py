"""closegate's benchmarks: measurements reported in notes, never timed tests (`python -m bench`)."""
