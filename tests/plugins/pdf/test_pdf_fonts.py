"""The handouts' fonts: the renderer sees only the bundled fonts, and `validate` locates any character none has."""

from __future__ import annotations

import subprocess
from pathlib import Path

from backpub_pdf.fonts import bundled_font_config, cmap, lato_folder
from backpub_pdf.rendering import bundled_fonts
from backpub_testkit import edit

ICE = "content/protocols/ice.md"


def test_validate_locates_a_character_no_bundled_font_has(run_cli, project: Path):
    edit(project / ICE, "  - Place it on the lower spine.", "  - Place it on the lower spine 漢.")
    result = run_cli("validate", "content", cwd=project)
    assert result.exit_code == 1, result.output
    line = next(n for n, text in enumerate((project / ICE).read_text().splitlines(), 1) if "漢" in text)
    column = (project / ICE).read_text().splitlines()[line - 1].index("漢") + 1
    assert f"content/protocols/ice.md:{line}:{column}: error: [pdf] steps[1]: '漢' (U+6F22" in result.output
    assert "empty box" in result.output


def test_emoji_arrows_greek_and_cyrillic_are_covered(run_cli, project: Path):
    edit(project / ICE, "  - Place it on the lower spine.", "  - Place it → on the spine 😴 ✓ Ωμέγα Щука Łódź ☀️.")
    result = run_cli("validate", "content", cwd=project)
    assert result.exit_code == 0, result.output


def test_every_declared_font_file_is_installed():
    fonts = bundled_fonts(Path("/nonexistent-theme"))
    families = {path.name for path, _ in fonts}
    assert {"Lato-Regular.ttf", "DejaVuSans.ttf", "NotoColorEmoji.ttf", "Symbola_hint.ttf"} <= families
    assert all(path.is_file() and cmap(path) for path, _ in fonts)


def test_the_renderer_never_falls_back_to_a_font_of_the_machine(tmp_path: Path):
    """DejaVu Serif is installed on the machine (fonts-dejavu-core) but declared by no @font-face: unseen."""
    import weasyprint

    config = bundled_font_config()
    lato = (lato_folder() / "Lato-Regular.ttf").as_uri()
    css = weasyprint.CSS(string=f'@font-face {{ font-family: "Lato"; src: url("{lato}"); }}', font_config=config)
    html = "<p style=\"font-family: 'DejaVu Serif', serif\">Serif? → 漢</p>"
    pdf = tmp_path / "probe.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf, stylesheets=[css], font_config=config)
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
    names = {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}
    assert names == {"Lato"}, listing
