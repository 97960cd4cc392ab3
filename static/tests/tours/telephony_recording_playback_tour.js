import { registry } from "@web/core/registry";

/** The browser reads the whole WAV (two seconds) through the first recording player in ``where``. */
function playsTheTwoSecondRecording(where) {
    const player = `${where} .o_telephony_audio_player`;
    return [
        { trigger: player },
        {
            trigger: player,
            run() {
                const audio = this.anchor;
                audio.muted = true;
                audio.addEventListener("loadedmetadata", () => {
                    if (Math.abs(audio.duration - 2) < 0.1) {
                        audio.classList.add("o_telephony_audio_loaded");
                    }
                });
                audio.preload = "auto";
                audio.load();
            },
        },
        { trigger: `${player}.o_telephony_audio_loaded` },
    ];
}

/** The call's own user opens the call and plays its recording on the form. */
registry.category("web_tour.tours").add("telephony_recording_playback_tour", {
    steps: () => playsTheTwoSecondRecording(".o_form_view"),
});

/** A manager opens the caller's timeline and plays the recorded call from it. */
registry.category("web_tour.tours").add("telephony_recording_timeline_tour", {
    steps: () => playsTheTwoSecondRecording(".o-telephony-TimelineItem-call"),
});
