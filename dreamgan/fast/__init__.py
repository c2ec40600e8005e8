"""The trained generator at inference: its one home.

  * `loading`: a run, a .pt, the bundled weights or an ONNX file behind `load_fast_generator`
    (None = the bundled generator; `runtime` picks PyTorch or ONNX Runtime);
  * `dreams`: `fast_dream` (in memory) and `write_fast_dreams` / `write_noise_dreams` (files);
  * `bundled`: the generator shipped in the package and `write_bundled_generator` (its .pt);
  * `onnx`: `write_onnx` (the ONNX export), `OnnxGenerator` (ONNX Runtime) and the export cache.

Networks live in `dreamgan.models`, the checkpoint format (read by training too) in
`dreamgan.models.checkpoint`; nothing here imports `dreamgan.training`.
"""
from dreamgan.fast.bundled import BUNDLED_GENERATOR, bundled_generator, write_bundled_generator
from dreamgan.fast.dreams import fast_dream, generator_text, write_fast_dreams, write_noise_dreams
from dreamgan.fast.loading import RUNTIMES, default_checkpoint, is_bundled, load_fast_generator, load_generator, load_pix2pix
from dreamgan.fast.onnx import OnnxGenerator, cached_onnx_generator, exportable, onnxruntime_installed, write_onnx

__all__ = ["BUNDLED_GENERATOR", "OnnxGenerator", "RUNTIMES", "bundled_generator", "cached_onnx_generator", "default_checkpoint", "exportable",
           "fast_dream", "generator_text", "is_bundled", "load_fast_generator", "load_generator", "load_pix2pix", "onnxruntime_installed",
           "write_bundled_generator", "write_fast_dreams", "write_noise_dreams", "write_onnx"]
