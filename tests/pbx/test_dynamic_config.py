"""ARI's dynamic configuration: the browser phones' PJSIP objects Odoo creates, reads and deletes."""

import uuid

import pytest

from pbx.ari import PbxError, PbxForbidden, PbxNotFound, PbxRequestError


@pytest.fixture
def object_id():
    # Dynamic objects outlive a test on a real Asterisk (astdb): a fresh id each time, deleted after.
    return f"9{uuid.uuid4().int % 10**6:06d}"


@pytest.fixture
def cleanup(client, object_id):
    yield
    for object_type in ("endpoint", "aor", "auth"):
        client.delete_config_object("res_pjsip", object_type, object_id)


def test_an_auth_is_created_read_updated_and_deleted(client, object_id, cleanup):
    assert client.get_config_object("res_pjsip", "auth", object_id) is None
    result = client.put_config_object(
        "res_pjsip", "auth", object_id, {"auth_type": "userpass", "username": object_id, "password": "first"}
    )
    assert result is None, "the PBX's answer lists the password: it is not handed back"
    assert client.get_config_object("res_pjsip", "auth", object_id)["password"] == "first"
    client.put_config_object(
        "res_pjsip", "auth", object_id, {"auth_type": "userpass", "username": object_id, "password": "second"}
    )
    assert client.get_config_object("res_pjsip", "auth", object_id)["password"] == "second"
    assert client.delete_config_object("res_pjsip", "auth", object_id) is True
    assert client.get_config_object("res_pjsip", "auth", object_id) is None
    assert client.delete_config_object("res_pjsip", "auth", object_id) is False


def test_a_webrtc_endpoint_takes_its_fields(client, object_id, cleanup):
    client.put_config_object("res_pjsip", "aor", object_id, {"max_contacts": 5, "remove_existing": "yes"})
    client.put_config_object(
        "res_pjsip",
        "endpoint",
        object_id,
        {
            "webrtc": "yes",
            "context": "telephony-in",
            "disallow": "all",
            "allow": "ulaw,alaw",
            "aors": object_id,
            "callerid": f'"Anna" <{object_id}>',
        },
    )
    endpoint = client.get_config_object("res_pjsip", "endpoint", object_id)
    assert endpoint["webrtc"] == "yes"
    assert endpoint["context"] == "telephony-in"
    assert endpoint["callerid"] == f'"Anna" <{object_id}>'


def test_an_endpoint_without_codecs_cannot_be_read_back(client, object_id, cleanup):
    # Asterisk stores it (in astdb) but cannot load it: the account Odoo provisions always names its codecs.
    client.put_config_object("res_pjsip", "endpoint", object_id, {"context": "telephony-in"})
    assert client.get_config_object("res_pjsip", "endpoint", object_id) is None
    assert client.delete_config_object("res_pjsip", "endpoint", object_id) is False
    # Given codecs, it loads again, and can be deleted.
    client.put_config_object("res_pjsip", "endpoint", object_id, {"context": "telephony-in", "allow": "ulaw"})
    assert client.delete_config_object("res_pjsip", "endpoint", object_id) is True


def test_an_unknown_field_is_refused_and_the_secret_stays_out_of_the_error(client, object_id, cleanup):
    with pytest.raises(PbxRequestError) as refused:
        client.put_config_object("res_pjsip", "auth", object_id, {"password": "hunter2", "no_such_field": "1"})
    assert "failed field value validation" in str(refused.value)
    assert "hunter2" not in str(refused.value)
    assert client.get_config_object("res_pjsip", "auth", object_id) is None


def test_an_unknown_type_or_class_is_named(client, object_id):
    with pytest.raises(PbxNotFound, match="objectType 'nothing' not found"):
        client.put_config_object("res_pjsip", "nothing", object_id, {})
    with pytest.raises(PbxNotFound, match="configClass 'res_nothing' not found"):
        client.put_config_object("res_nothing", "endpoint", object_id, {})


def test_an_object_of_the_configuration_files_is_read_only(pbx):
    if not pbx.is_simulator:
        pytest.skip("needs an endpoint known to be in pjsip.conf: the simulator's static_config")
    pbx.simulator.static_config.add(("endpoint", "201"))
    client = pbx.client()
    try:
        with pytest.raises(PbxForbidden, match="Cannot update sorcery objects of type 'endpoint'"):
            client.put_config_object("res_pjsip", "endpoint", "201", {"context": "elsewhere"})
        with pytest.raises(PbxForbidden, match="Could not delete object with id '201'"):
            client.delete_config_object("res_pjsip", "endpoint", "201")
    finally:
        pbx.simulator.static_config.discard(("endpoint", "201"))
        client.close()
    assert issubclass(PbxForbidden, PbxError)
