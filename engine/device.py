"""What the model trains on: "CPU" or the accelerator names, for the header of the screen.

Called only from the training thread after Keras is imported, so asking the backend
costs nothing extra; nothing is imported at module level.
"""

from __future__ import annotations

from collections import Counter


def _join(names: list[str]) -> str:
    """``["A100", "A100"]`` -> ``"2x A100"``; different names are listed."""
    counts = Counter(names)
    return ", ".join(name if n == 1 else f"{n}x {name}" for name, n in counts.items())


def _tensorflow_devices() -> list[str]:
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:
            details = {}
        names.append(str(details.get("device_name") or gpu.name))
    return names


def _jax_devices() -> list[str]:
    import jax

    return [str(getattr(d, "device_kind", d)) for d in jax.devices() if d.platform != "cpu"]


def _torch_devices() -> list[str]:
    import torch

    if torch.cuda.is_available():
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return ["Apple MPS"]
    return []


def describe_device() -> str:
    """"CPU", or the accelerators the current Keras backend will use (e.g. "NVIDIA H200")."""
    try:
        import keras

        backend = keras.backend.backend()
        finder = {"tensorflow": _tensorflow_devices, "jax": _jax_devices, "torch": _torch_devices}.get(backend)
        names = finder() if finder is not None else []
    except Exception:
        return "CPU"
    return _join(names) if names else "CPU"
