"""GAN networks: pix2pix (photo → dream) and DCGAN (noise → dream)."""
