"""Training: the GAN loop (`gan`), its options (`config`) and checkpoints (`checkpoint`), the
classifier workflow (`classifier`), and what they share: run directories, JSONL logs, plots."""
