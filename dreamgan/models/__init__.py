"""The GAN networks and what describes them: their options (`config`: TrainConfig, presets; no
torch), the checkpoint format (`checkpoint`), and the networks: pix2pix and the photo texture
generator (photo → dream), DCGAN and the texture generator (noise → dream), their discriminators."""
