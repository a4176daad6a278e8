import pytest

from areaclienti_tui.rules.masking import mask_contact, mask_email, mask_mobile


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("mario.rossi@gmail.com", "m***i@gmail.com"),
        ("mario@gmail.com", "m***o@gmail.com"),
        ("abc@libero.it", "a***c@libero.it"),
        ("ab@libero.it", "a***@libero.it"),
        ("a@libero.it", "a***@libero.it"),
        ("@libero.it", "***@libero.it"),  # typed at login: never a fault
        ("@", "***@"),
        ("a@", "a***@"),
    ],
)
def test_mask_email(value, masked):
    assert mask_email(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("+393401234567", "+39 *** *** 4567"), ("+39340123456", "+39 *** *** 3456")],
)
def test_mask_mobile(value, masked):
    assert mask_mobile(value) == masked


def test_mask_contact_dispatches_on_kind():
    assert mask_contact("email", "mario@gmail.com") == "m***o@gmail.com"
    assert mask_contact("mobile", "+393401234567") == "+39 *** *** 4567"
    with pytest.raises(ValueError, match="fax"):
        mask_contact("fax", "123")  # type: ignore[arg-type]
