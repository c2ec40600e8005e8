"""Dream videos and infinite zooms (`dreamgan video`, `dreamgan zoom`).

  io.py       PyAV / PIL reading and writing (mp4 with audio, gif, frame folders)
  motion.py   optical flow (OpenCV), warps, the noise field that moves with the scene
  cache.py    the frames of a job on disk, so a killed job continues
  dreamer.py  the temporal dreaming: classical and fast, video and zoom

PyAV (FFmpeg inside the wheel) and opencv-python-headless are ordinary dependencies.
"""
from dreamgan.video.dreamer import VideoConfig, VideoReport, ZoomConfig, dream_video, dream_zoom

__all__ = ["VideoConfig", "VideoReport", "ZoomConfig", "dream_video", "dream_zoom"]
