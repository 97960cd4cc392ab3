/**
 * The ring of a call for this browser, synthesised (two tones, two seconds on, four off) so that no sound
 * file ships with the addon. A browser that has not let the page play sound yet stays silent; the popup
 * still shows.
 */
export class Ringtone {
    constructor(AudioContextClass = window.AudioContext) {
        this.AudioContextClass = AudioContextClass;
        this.context = null;
        this.timer = null;
    }

    start() {
        if (this.timer || !this.AudioContextClass) {
            return;
        }
        this.context = new this.AudioContextClass();
        this.ring();
        this.timer = setInterval(() => this.ring(), 6000);
    }

    ring() {
        const now = this.context.currentTime;
        const gain = this.context.createGain();
        gain.gain.value = 0.1;
        gain.connect(this.context.destination);
        for (const frequency of [440, 480]) {
            const oscillator = this.context.createOscillator();
            oscillator.frequency.value = frequency;
            oscillator.connect(gain);
            oscillator.start(now);
            oscillator.stop(now + 2);
        }
    }

    stop() {
        clearInterval(this.timer);
        this.timer = null;
        this.context?.close();
        this.context = null;
    }
}
