from comrade.bank.checks import check_bank_account, check_statement_inbox


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_a_valid_account_passes_and_no_account_is_fine(settings):
    settings.BANK_ACCOUNT_IBAN, settings.BANK_ACCOUNT_BIC = "DE89370400440532013000", "COBADEFFXXX"
    settings.BANK_ACCOUNT_NAME = "Comrade Pay GmbH"
    assert check_bank_account() == []
    settings.BANK_ACCOUNT_IBAN = ""
    assert check_bank_account() == []


def test_a_bad_iban_or_bic_or_a_missing_name_stops_the_server(settings):
    settings.BANK_ACCOUNT_NAME = "Comrade Pay GmbH"
    settings.BANK_ACCOUNT_IBAN, settings.BANK_ACCOUNT_BIC = "DE89370400440532013001", "COBADEFFXXX"
    assert ids(check_bank_account()) == ["comrade.E110"]
    settings.BANK_ACCOUNT_IBAN, settings.BANK_ACCOUNT_BIC = "DE89370400440532013000", "NOTABIC"
    assert ids(check_bank_account()) == ["comrade.E111"]
    settings.BANK_ACCOUNT_BIC = "DEUTDEFFXXX"  # Deutsche Bank, not the IBAN's Commerzbank
    assert ids(check_bank_account()) == ["comrade.E112"]
    settings.BANK_ACCOUNT_BIC = "BNPAFRPPXXX"
    assert ids(check_bank_account()) == ["comrade.E112"]
    settings.BANK_ACCOUNT_NAME = ""
    assert ids(check_bank_account()) == ["comrade.E113"]


def test_an_inbox_that_is_not_a_folder_is_a_warning(settings, tmp_path):
    settings.BANK_STATEMENT_INBOX = str(tmp_path / "missing")
    assert ids(check_statement_inbox()) == ["comrade.W110"]
    settings.BANK_STATEMENT_INBOX = str(tmp_path)
    assert check_statement_inbox() == []
