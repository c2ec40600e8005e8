"""Photos and datasets: the embedded and Debian photos (`photos`, `debian_photos`, `qt_rcc`), a
dataset's sources (`sources`), the dataset maker (`dataset`: photos → true dreams, split by
scene) and its reader (`pairs`)."""
