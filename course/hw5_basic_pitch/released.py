"""Spotify's released Basic Pitch (ICASSP 2022): fetch its ONNX file, read its weights, run it.

The trained model ships inside the ``basic-pitch`` wheel on the package index as
``basic_pitch/saved_models/icassp_2022/nmp.onnx`` (a tf2onnx export of the Keras model).
``data_scripts.weights.fetch_basic_pitch_onnx`` downloads that wheel at set-up *without its
dependencies* (no TensorFlow) and keeps only that file, checked by its SHA-256, under
``data/weights/`` (:func:`released_onnx_path`).

What the ONNX graph holds (inspected for 0.4.0): the TensorFlow port of nnAudio's CQT, the
normalised log, the input batch norm as a ``Mul`` and an ``Add`` by scalars, harmonic stacking,
one ``Transpose`` to channels first, then six ``Conv`` nodes whose kernels are already PyTorch's
``(out, in, kT, kF)``; the batch norms after the contour and onset convolutions are *folded* into
those convolutions' weights and biases. The paper's 5x5 block after stacking is absent, as in the
released Keras code. :func:`released_state_dict` therefore loads the folded convolutions as they
are and sets each of those batch norms to the identity (mean 0, variance ``1 - eps``, scale 1,
shift 0), and the input batch norm to the graph's scale and shift. In eval mode this is exactly
the original; in train mode batch statistics replace the identity, so fine-tuning starts from a
slightly different function.

:class:`OriginalBasicPitch` runs the original with onnxruntime and can also return two of its
intermediate tensors, its log-CQT and its harmonic stack, so that the layers can be compared
alone on the original's own features.

Used by: hw5_basic_pitch (the released weights as a check of the students' layers, the
original as a baseline), ``bench/``, the hidden tests.
"""
from __future__ import annotations

import functools
import os
import pathlib

import numpy as np
import torch

from course.constants import AUDIO_N_SAMPLES
from course.hw5_basic_pitch.constants import BATCH_NORM_EPS, ONNX_NAME, OUTPUT_BINS
from course.paths import weights_dir

# The graph's input and its outputs, named by tf2onnx (basic_pitch/inference.py reads them so).
ONNX_INPUT = "serving_default_input_2:0"
ONNX_OUTPUTS = {
    "contour": "StatefulPartitionedCall:0", "note": "StatefulPartitionedCall:1", "onset": "StatefulPartitionedCall:2",
}
INPUT_BN_NODE = "model_1/batch_normalization/FusedBatchNormV3"  # the batch norm on the log-CQT

# The six 2-D convolutions, told apart by their kernels (out, in, kT, kF), and where each goes in
# NMPLayers(paper_block=False); the contour and onset ones carry a folded batch norm.
CONV_KEYS = {
    (8, 8, 3, 39): ("contour_head.0", "contour_head.1"),
    (1, 8, 5, 5): ("contour_head.3", None),
    (32, 1, 7, 7): ("note_head.0", None),
    (1, 32, 7, 3): ("note_head.2", None),
    (32, 8, 5, 5): ("onset_conv.0", "onset_conv.1"),
    (1, 33, 3, 3): ("onset_out", None),
}


def released_onnx_path() -> pathlib.Path:
    """The released model's ONNX file under ``data/weights``, fetched at set-up.

    Raises:
        FileNotFoundError: not fetched yet (the message says how).
    """
    path = weights_dir() / ONNX_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"Spotify's released Basic Pitch model is not at {path}. Fetch it: `bash run.sh data` "
            "(or `python -m data_scripts build`), or in Python `from data_scripts.weights import "
            "fetch_basic_pitch_onnx; fetch_basic_pitch_onnx()`.")
    return path


@functools.lru_cache(maxsize=4)
def _load_graph(path: str):
    import onnx

    return onnx.load(path)


def _initializers(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def released_state_dict(path: str | os.PathLike | None = None) -> dict[str, dict[str, torch.Tensor]]:
    """Spotify's trained weights, as PyTorch state_dicts.

    Returns:
        ``{"batch_norm": ..., "layers": ...}``: the state_dict of the front end's
        ``BatchNorm2d(1)`` (:class:`~course.hw5_basic_pitch.model.NMPFrontEnd` ``.batch_norm``) and that of the
        layers as released (no 5x5 block after stacking), with the contract's keys:
        ``contour_head.{0,1,3}``, ``note_head.{0,2}``, ``onset_conv.{0,1}``, ``onset_out``.
        Folded batch norms become identities (see the module docstring).

    Used by: :func:`load_released`, hw5_basic_pitch, the hidden tests.
    """
    model = _load_graph(str(path or released_onnx_path()))
    init = _initializers(model)
    layers: dict[str, torch.Tensor] = {}
    batch_norm: dict[str, torch.Tensor] = {}
    for node in model.graph.node:
        if node.op_type == "Conv":
            weight = init.get(node.input[1])
            if weight is None or weight.ndim != 4 or tuple(weight.shape) not in CONV_KEYS:
                continue  # the CQT's 1-D convolutions (kernels (n, 1, 1, 256))
            conv, bn = CONV_KEYS[tuple(weight.shape)]
            if f"{conv}.weight" in layers:
                raise RuntimeError(
                    f"Two convolutions with kernel {weight.shape} in the ONNX graph: not the released model."
                )
            layers[f"{conv}.weight"] = torch.from_numpy(weight.copy())
            layers[f"{conv}.bias"] = torch.from_numpy(init[node.input[2]].copy())
            if bn is not None:
                layers.update(_identity_batch_norm(bn, weight.shape[0]))
        elif node.name.startswith(INPUT_BN_NODE) and node.op_type in ("Mul", "Add"):
            value = next(init[name] for name in node.input if name in init)
            batch_norm["weight" if node.op_type == "Mul" else "bias"] = torch.from_numpy(value.reshape(1).copy())
    missing = {conv for conv, _ in CONV_KEYS.values()} - {key.rsplit(".", 1)[0] for key in layers}
    if missing or set(batch_norm) != {"weight", "bias"}:
        raise RuntimeError(f"The ONNX graph lacks {sorted(missing) or 'the input batch norm'}: not the released model.")
    batch_norm.update(running_mean=torch.zeros(1), running_var=torch.full((1,), 1.0 - BATCH_NORM_EPS),
                      num_batches_tracked=torch.tensor(0))
    return {"batch_norm": batch_norm, "layers": layers}


def _identity_batch_norm(prefix: str, channels: int) -> dict[str, torch.Tensor]:
    # (x - 0) / sqrt((1 - eps) + eps) * 1 + 0 = x: the folded conv already did the batch norm
    return {
        f"{prefix}.weight": torch.ones(channels), f"{prefix}.bias": torch.zeros(channels),
        f"{prefix}.running_mean": torch.zeros(channels),
        f"{prefix}.running_var": torch.full((channels,), 1.0 - BATCH_NORM_EPS),
        f"{prefix}.num_batches_tracked": torch.tensor(0),
    }


def load_released(transcriber: torch.nn.Module, path: str | os.PathLike | None = None) -> torch.nn.Module:
    """Load the released weights into a :class:`~course.hw5_basic_pitch.model.Transcriber`, strictly.

    The transcriber's layers must be built as released (no 5x5 block after stacking, 8
    harmonics) with the contract's attribute names; the CQT's fixed kernels are left as they are.

    Returns:
        The same transcriber, in eval mode (the folded batch norms are exact only there).

    Raises:
        RuntimeError: from ``load_state_dict`` when a key or a shape differs; its message lists them.

    Used by: hw5_basic_pitch.
    """
    state = released_state_dict(path)
    try:
        transcriber.front_end.batch_norm.load_state_dict(state["batch_norm"], strict=True)
        transcriber.layers.load_state_dict(state["layers"], strict=True)
    except RuntimeError as error:
        raise RuntimeError(
            f"{error}\nThe released weights fit layers built as released (paper_block=False, 8 harmonics) "
            "whose attributes are named stack_block, contour_head, note_head, onset_conv, onset_out as the "
            "notebook states."
        ) from None
    return transcriber.eval()


def _intermediate_names(model) -> dict[str, str]:
    # The log-CQT enters the input batch norm's Mul; the stack leaves the Transpose that turns
    # the harmonic-stacking output channels first, (B, T, 264, 8) -> (B, 8, T, 264).
    names = {}
    for node in model.graph.node:
        if node.op_type == "Mul" and node.name.startswith(INPUT_BN_NODE):
            names["cqt"] = next(name for name in node.input if "expand_dims" in name)
        if node.op_type == "Transpose" and any("harmonic-stacking" in name for name in node.input):
            names["stack"] = node.output[0]
    if set(names) != {"cqt", "stack"}:
        raise RuntimeError(
            "Could not find the log-CQT and the harmonic stack in the ONNX graph: not the released model."
        )
    return names


class OriginalBasicPitch:
    """The released Basic Pitch, run by onnxruntime on 2-second windows.

    Args:
        path: the ONNX file; default :func:`released_onnx_path`.
        intermediates: also return ``"cqt"`` (its normalised log-CQT, ``(B, T, 309)``, before the
            input batch norm) and ``"stack"`` (its harmonic stack, ``(B, 8, T, 264)``, what the
            layers read), added as outputs to an in-memory copy of the graph.

    Calling it with ``(43844,)`` or ``(B, 43844)`` float audio at 22050 Hz (numpy or torch) gives
    ``{"contour": (B, 172, 264), "note": (B, 172, 88), "onset": (B, 172, 88)}`` float32 numpy
    probabilities (no batch axis for one window). :func:`~course.hw5_basic_pitch.inference.predict_piece` runs it over a
    whole piece.

    Used by: hw5_basic_pitch (the baseline, the check of the released weights), ``bench/``.
    """

    def __init__(self, path: str | os.PathLike | None = None, intermediates: bool = False):
        import onnx
        import onnxruntime

        self.path = pathlib.Path(path or released_onnx_path())
        model = onnx.load(str(self.path))
        self.outputs = dict(ONNX_OUTPUTS)
        if intermediates:
            extra = _intermediate_names(model)
            for name in extra.values():
                model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
            self.outputs.update(extra)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # no warnings about the unused initializers tf2onnx leaves
        self.session = onnxruntime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, audio) -> dict[str, np.ndarray]:
        if torch.is_tensor(audio):
            audio = audio.detach().cpu().numpy()
        audio = np.asarray(audio)
        single = audio.ndim == 1
        if audio.ndim not in (1, 2) or audio.shape[-1] != AUDIO_N_SAMPLES:
            raise ValueError(
                f"The original model takes windows of exactly AUDIO_N_SAMPLES = {AUDIO_N_SAMPLES} samples at 22050 Hz, "
                f"(N,) or (B, N); got shape {audio.shape}. Zero-pad short audio; use course.hw5_basic_pitch.inference.predict_piece "
                "for longer."
            )
        if not np.issubdtype(audio.dtype, np.floating):
            raise ValueError(f"Expected float audio in [-1, 1]; got {audio.dtype}.")
        batch = audio.reshape(-1, AUDIO_N_SAMPLES, 1).astype(np.float32)  # Keras: (batch, time, channel)
        values = self.session.run(list(self.outputs.values()), {ONNX_INPUT: batch})
        out = dict(zip(self.outputs, values))
        if "cqt" in out:
            out["cqt"] = out["cqt"][..., 0]  # (B, T, 309, 1) -> (B, T, 309)
        for key, bins in OUTPUT_BINS.items():
            out[key] = out[key].reshape(len(batch), -1, bins)
        return {key: value[0] for key, value in out.items()} if single else out
