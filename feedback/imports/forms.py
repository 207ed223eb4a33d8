"""The CSV upload form: it reads the file; the services check and store its rows."""

from __future__ import annotations

from django import forms

from feedback.imports.models import SignalImport
from feedback.imports.services import IMPORT_MAX_BYTES
from tenants.formonce import FormTokenMixin


class SignalImportForm(FormTokenMixin, forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=SignalImport.Kind.choices)
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma-separated, with a header row; start from the template.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB; split it into several imports."
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again."
            ) from None
